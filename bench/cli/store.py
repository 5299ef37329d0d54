"""`bench store verify|rebuild`: check the results index and caches against the run directories, or rebuild the index."""

from __future__ import annotations

import argparse

from talkbench.cli.help import add_command


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench store`."""
    p = add_command(sub, "store", "check the results index and caches (verify) or rebuild the index from the run "
                    "directories (rebuild)",
                    "verify: check the results index ($BENCH_HOME/results.sqlite) against the run directories and "
                    "every cache entry\nagainst its manifest; a summary, exit 1 on any problem. rebuild: move the index "
                    "aside and rebuild it from\nthe run directories (the run directories are the record, the index a "
                    "cache of them).",
                    ["bench store verify", "bench store rebuild"])
    p.add_argument("action", choices=["verify", "rebuild"], help="verify: check and summarize; rebuild: rebuild the "
                   "index from the run directories")
    p.set_defaults(func=cmd_store)


def cmd_store(args: argparse.Namespace) -> int:
    """verify: a summary and exit 1 on any problem; rebuild: move the index aside and rebuild it."""
    from talkbench.harness import store_repair
    from talkbench.infra.paths import index_path

    path = index_path()
    if args.action == "rebuild":
        aside, summary = store_repair.rebuild(path)
        moved = f"; the previous index is kept as {aside.name}" if aside else ""
        print(f"rebuilt {path} from the run directories: {summary}{moved}")
        return 0
    found = store_repair.verify(path)
    if found.index:
        print(f"index {path}: DAMAGED ({found.index}); any bench command moves it aside and rebuilds it, or run: "
              "bench store rebuild")
    else:
        print(f"index {path}: sound")
    runs = {r for r, _ in found.indexed}
    print(f"executions: {len(found.indexed)} complete in the index ({len(runs)} runs), {len(found.on_disk)} complete in "
          f"the run directories; {len(found.missing_from_index)} missing from the index, {len(found.without_dir)} "
          "without their run directory")
    for run_id, execution in sorted(found.missing_from_index)[:10]:
        print(f"  not in the index: {run_id} ({execution})  -> bench store rebuild")
    for line in found.without_dir[:10]:
        print(f"  {line}")
    print(f"run directories: {len(found.damaged_runs)} unreadable")
    for line in found.damaged_runs[:10]:
        print(f"  {line}")
    print(f"cache entries: {found.entries_checked} checked, {len(found.damaged_entries)} damaged (recomputed when next "
          f"used), {found.entries_unsealed} without a manifest (from an older talkbench: recomputed when next used)")
    for line in found.damaged_entries[:10]:
        print(f"  {line}")
    print("OK" if found.ok else "PROBLEMS found (see above)")
    return 0 if found.ok else 1
