"""curves.csv: stage, step, loss, batch PSNR, learning rate, seconds and field evaluations of a training run."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np


class CurveLog:
    """Rows of curves.csv: stage, step, loss, batch PSNR, learning rate, seconds since the stage began, field evaluations."""

    COLUMNS = ("stage", "step", "loss", "psnr", "lr", "seconds", "samples")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []

    def add(self, **row: Any) -> None:
        """Record one row."""
        self.rows.append(row)

    def write(self) -> None:
        """Write every row so far (the file is rewritten whole)."""
        with open(self.path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.COLUMNS)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})

    def summary(self, stage: str) -> dict[str, Any]:
        """First and last logged loss/PSNR of a stage, and the mean PSNR of its last 10% of rows."""
        rows = [r for r in self.rows if r["stage"] == stage]
        if not rows:
            return {}
        tail = rows[-max(1, len(rows) // 10):]
        return {"first_loss": rows[0]["loss"], "last_loss": rows[-1]["loss"], "first_psnr": rows[0]["psnr"],
                "last_psnr": rows[-1]["psnr"], "tail_mean_psnr": float(np.mean([r["psnr"] for r in tail]))}
