"""Pictures of a run: the contact sheet (reference, prediction, error) and the training curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

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



def contact_sheet(pred: np.ndarray, ref: np.ndarray, path: Path, columns: int = 6, gain: float = 4.0) -> None:
    """Save rows (reference, prediction, |error|×gain) for `columns` evenly spaced frames as PNG."""
    count = min(len(pred), len(ref))
    idx = np.linspace(0, count - 1, num=min(columns, count)).round().astype(int)
    err = np.clip(np.abs(pred[idx].astype(np.int16) - ref[idx].astype(np.int16)) * gain, 0, 255).astype(np.uint8)
    rows = [np.concatenate(list(stack), axis=1) for stack in (ref[idx], pred[idx], err)]
    sheet = np.concatenate(rows, axis=0)
    if sheet.shape[0] < 384:  # small smoke frames: upscale so a person can see the mouth
        scale = int(np.ceil(384 / sheet.shape[0]))
        sheet = np.kron(sheet, np.ones((scale, scale, 1), dtype=np.uint8))
    Image.fromarray(sheet).save(path)
