"""Start several `bench run` commands at the same instant, as separate processes, trial after trial.

`python -m tests.kit.race PLAN.json` imports talkbench and its heavy dependencies once, then per trial forks one
child per command; each child sets the trial's BENCH_HOME and runs `talkbench.cli.main.main(argv)`, with its output
in `<home>.<n>.log`. Forked children are real processes (own file locks, own SQLite connections) but skip the
~3 s of imports a fresh interpreter pays, so ten trials fit in well under a minute on two cores. Prints one JSON
line: the exit codes per trial.

PLAN.json: {"trials": [{"home": DIR, "commands": [[arg, ...], ...]}, ...]}.
"""

from __future__ import annotations

import json
import os
import sys


def _preload() -> None:
    """Import what a `bench run` of the cheap methods imports, without running anything (no thread pools yet)."""
    import matplotlib

    matplotlib.use("Agg")
    import av  # noqa: F401
    import cv2  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401
    import torch  # noqa: F401

    import talkbench.cli.main  # noqa: F401
    import talkbench.datasets.synthetic  # noqa: F401
    import talkbench.harness.driver  # noqa: F401
    import talkbench.harness.figures  # noqa: F401
    import talkbench.methods.baselines.oracle  # noqa: F401
    import talkbench.methods.baselines.static  # noqa: F401
    import talkbench.metrics.image.psnr  # noqa: F401


def _child(home: str, argv: list[str], log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ["BENCH_HOME"] = home
    code = 1
    try:
        from talkbench.cli.main import main

        code = main(argv)
    except BaseException as exc:  # the log says what broke; the exit code says that it did
        print(f"race child crashed: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(plan: dict) -> list[list[int]]:
    """Run every trial; the exit codes of each trial's commands."""
    _preload()
    codes = []
    for trial in plan["trials"]:
        pids = []
        for n, argv in enumerate(trial["commands"]):
            pid = os.fork()
            if pid == 0:
                _child(trial["home"], argv, f"{trial['home']}.{n}.log")
            pids.append(pid)
        codes.append([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids])
    return codes


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(json.dumps(run(json.load(handle))))
