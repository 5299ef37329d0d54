"""Stored runs as TensorBoard event files: one log folder per execution, `<log dir>/<run id>/<execution>`."""

from __future__ import annotations

import json
from pathlib import Path

from talkbench.report.export import ExportRun


def log_dir(dest: str | None) -> Path:
    """--out, else $BENCH_HOME/tensorboard."""
    from talkbench.infra.paths import bench_home

    return Path(dest) if dest else bench_home() / "tensorboard"


def export_tensorboard(runs: list[ExportRun], dest: str | None, name: str) -> str:
    """Scalars as float64 tensors (the values read back equal the stored ones), the params as hparams and as a text
    table; an execution whose folder already holds events is left as it is."""
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

    root = log_dir(dest) / name
    added = 0
    for run in runs:
        folder = root / run.run_id / run.execution
        if folder.is_dir() and any(folder.glob("events.out.tfevents.*")):
            continue
        writer = SummaryWriter(log_dir=str(folder))
        try:
            for key, value in run.metrics.items():
                writer.add_scalar(key, value, 0, new_style=True, double_precision=True)
            for key, points in run.series.items():
                for step, value in points:
                    writer.add_scalar(key, value, step, new_style=True, double_precision=True)
            # hparams: the HParams dashboard's table of runs by config; the text table keeps every param readable.
            for summary in hparams(dict(run.params), {k: v for k, v in run.metrics.items() if "/" not in k}):
                writer._get_file_writer().add_summary(summary)
            table = "| param | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in run.params.items())
            writer.add_text("params", table, 0)
            writer.add_text("tags", "```\n" + json.dumps(run.tags, indent=2) + "\n```", 0)
        finally:
            writer.close()
        added += 1
    return f"exported {added} run(s) to TensorBoard log dir {root} ({len(runs) - added} already there): tensorboard --logdir {root}"
