"""`bench export --to mlflow|tensorboard|wandb`: the stored results as experiment-tracker runs."""

from __future__ import annotations

import argparse

from talkbench.cli.help import add_command


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench export`."""
    p = add_command(sub, "export", help="send the stored results to MLflow, TensorBoard or W&B",
                    description="Send the stored results (the latest execution of each run) to a tracker: one tracker "
                    "run per stored run, with its identity and config as params, its values, stderr and 95 %% CI "
                    "bounds as metrics, training curves and per-frame values as series, and the run directory's files "
                    "as artifacts. Runs already exported are skipped (MLflow, TensorBoard).",
                    examples=["bench export --to mlflow --out file:/tmp/mlruns",
                              "bench export --to tensorboard --task reconstruct --out runs/tb",
                              "bench export --to wandb --dataset synthetic-portrait --out wandb-runs"])
    p.add_argument("--to", required=True, choices=["mlflow", "tensorboard", "wandb"],
                   help="the tracker (each an optional extra: pip install 'talkbench[mlflow]' / [tensorboard] / [wandb])")
    p.add_argument("--task", help="only this task's results")
    p.add_argument("--dataset", help="only this dataset's results")
    p.add_argument("--profile", help="only this profile's results")
    p.add_argument("--out", metavar="DEST", help="mlflow: a tracking URI or folder (default $MLFLOW_TRACKING_URI, else "
                   "$BENCH_HOME/mlruns); tensorboard: the log dir (default $BENCH_HOME/tensorboard); wandb: the folder of "
                   "its run files (default $BENCH_HOME/wandb; WANDB_MODE=offline keeps them local)")
    p.add_argument("--name", default="talkbench", help="MLflow experiment, TensorBoard subfolder or W&B project (default "
                   "talkbench)")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """Export the runs matching the filters; a missing tracker package is one line naming its extra."""
    from talkbench.core.errors import BenchError
    from talkbench.report.export import export, require, stored_runs

    require(args.to)  # before reading anything: the one-line install hint comes first
    runs = stored_runs(task=args.task, dataset=args.dataset, profile=args.profile)
    if not runs:
        raise BenchError("no stored results match (see bench leaderboard); nothing to export")
    print(export(args.to, runs, args.out, args.name))
    return 0
