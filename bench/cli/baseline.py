"""`bench check`: stored results against a committed baseline (a regression check for CI), or `--write` one."""

from __future__ import annotations

import argparse
from pathlib import Path

from talkbench.cli.help import add_command
from talkbench.core.profiles import PROFILES


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench check`."""
    p = add_command(sub, "check", "compare stored results with a baseline (non-zero exit on regression)",
                    "Compare the latest stored results (on the latest content of each dataset) with a baseline file: "
                    "one row per\ntask / dataset / condition / method / metric, with a summary line first. Exit 1 when "
                    "a value moved beyond its\ntolerance, became unavailable or was measured on other data, or when an "
                    "entry has no stored result\n(unless --only-present). Results the baseline lacks are listed as new; "
                    "they never fail.\n--write (re)writes the baseline from the stored results instead: every metric, "
                    "unavailable ones recorded\nas such, each entry with its tolerance (the file's own table when it "
                    "exists, else talkbench.report.tolerances).",
                    ["bench check --baseline reports/baselines/smoke.json",
                     "bench check --baseline reports/baselines/smoke.json --only-present --failures-only",
                     "bench check --baseline reports/baselines/smoke.json --write",
                     "bench check --baseline enhance.json --write --task enhance"])
    p.add_argument("--baseline", required=True, metavar="FILE.json", help="the baseline file to compare with (or to "
                   "write with --write)")
    p.add_argument("--only-present", action="store_true", help="a partial set of results: entries without a stored "
                   "result are listed as missing but do not fail; what is present must be within tolerance")
    p.add_argument("--failures-only", action="store_true", help="leave the ok rows out of the table (the summary "
                   "line still counts them)")
    p.add_argument("--write", action="store_true", help="rewrite the baseline from the latest stored results")
    p.add_argument("--profile", default="smoke", choices=list(PROFILES), help="profile of the results --write "
                   "takes")
    p.add_argument("--task", help="task of the results --write takes (default: every task)")
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """Compare stored results with a baseline; non-zero exit on any regression."""
    from talkbench.harness.store import Store
    from talkbench.report.check import compare, failed, load_baseline, report, write_baseline

    store = Store()
    if args.write:
        from talkbench.harness.tasks import TASKS
        from talkbench.infra.paths import output_file

        if args.task is not None:
            TASKS.get(args.task)
        path = output_file(args.baseline, "--baseline")
        tolerances = load_baseline(path).get("tolerances") if path.exists() else None
        count = write_baseline(path, store, args.profile, tolerances, args.task)
        print(f"wrote {count} entries to {path}")
        return 0
    comparisons = compare(load_baseline(Path(args.baseline)), store)
    print(report(comparisons, args.only_present, show_ok=not args.failures_only))
    return 1 if failed(comparisons, args.only_present) else 0
