"""Training curves of a run: the method's `curves.csv` (step, loss, PSNR per stage) drawn as a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from talkbench.core.errors import InputError

REQUIRED = ("step", "loss")


def read_curves(path: Path) -> "object":
    """The curves table (pandas DataFrame); InputError naming the file if it lacks step/loss columns."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable training curves ({exc})") from exc
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: training curves need columns {', '.join(REQUIRED)}; missing {', '.join(missing)}")
    return frame


def plot_curves(csv_path: Path, png_path: Path, title: str = "") -> Path:
    """Loss (log scale) and training-batch PSNR against step, one line per stage when a `stage` column exists."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = read_curves(csv_path)
    stages = list(dict.fromkeys(frame["stage"])) if "stage" in frame.columns else [None]
    panels = 2 if "psnr" in frame.columns else 1
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.2), squeeze=False)
    for stage in stages:
        part = frame if stage is None else frame[frame["stage"] == stage]
        label = None if stage is None else str(stage)
        axes[0, 0].plot(part["step"], np.maximum(part["loss"].to_numpy(float), 1e-12), label=label)
        if panels == 2:
            axes[0, 1].plot(part["step"], part["psnr"], label=label)
    axes[0, 0].set(yscale="log", xlabel="step", ylabel="loss")
    if panels == 2:
        axes[0, 1].set(xlabel="step", ylabel="PSNR (dB, training batch)")
    for ax in axes[0]:
        ax.grid(alpha=0.3)
        if stages != [None]:
            ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
