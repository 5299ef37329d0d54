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


def contact_sheet(pred: np.ndarray, ref: np.ndarray, path: Path, columns: int = 6, gain: float = 4.0,
                  first_frame: int = 0) -> None:
    """Save a labelled strip of `columns` evenly spaced frames as PNG: rows reference, prediction and the mean |error|
    over RGB as a heat map (0 to 1/gain of full scale, with its colour bar); columns titled with the frame index."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = min(len(pred), len(ref))
    idx = np.linspace(0, count - 1, num=min(columns, count)).round().astype(int)
    err = np.abs(pred[idx].astype(np.float32) - ref[idx].astype(np.float32)).mean(axis=-1) / 255.0
    height, width = ref.shape[1:3]
    panel = 1.6  # inches per frame: small smoke frames are upscaled so a person can see the mouth
    fig, axes = plt.subplots(3, len(idx), figsize=(panel * width / height * len(idx) + 1.4, panel * 3 + 0.5), squeeze=False)
    image = None
    for col, i in enumerate(idx):
        axes[0, col].imshow(ref[i], interpolation="nearest")
        axes[1, col].imshow(pred[i], interpolation="nearest")
        image = axes[2, col].imshow(err[col], cmap="inferno", vmin=0.0, vmax=1.0 / gain, interpolation="nearest")
        axes[0, col].set_title(f"frame {first_frame + int(i)}", fontsize=9)
    for row, label in enumerate(("reference", "prediction", "|error|")):
        axes[row, 0].set_ylabel(label, fontsize=10)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.subplots_adjust(left=0.05, right=0.88, top=0.93, bottom=0.02, wspace=0.04, hspace=0.04)
    row = axes[2, -1].get_position()  # a colour bar of its own axes, so the error row keeps the frames' size
    bar = fig.colorbar(image, cax=fig.add_axes((0.895, row.y0, 0.012, row.height)), extend="max")
    bar.set_label("mean |error| (RGB, 0–1)", fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def per_item_panels(columns: dict[str, np.ndarray], x: np.ndarray, path: Path, xlabel: str,
                    groups: np.ndarray | None = None, group_label: str = "") -> Path:
    """One small panel per metric of its per-item values (frames, utterances) against `x`, with the mean as a dashed
    line; points coloured by `groups` (e.g. the SNR of each utterance) when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(columns)
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        values = np.asarray(columns[name], dtype=np.float64)
        finite = np.isfinite(values)
        if groups is None:
            ax.plot(x[finite], values[finite], lw=1.2, marker="." if finite.sum() < 60 else None)
        else:
            points = ax.scatter(x[finite], values[finite], c=groups[finite], cmap="viridis", s=14)
        if finite.any():
            ax.axhline(values[finite].mean(), color="grey", ls="--", lw=0.8)
        if not finite.all():  # infinite PSNR of identical frames, unavailable items: said, not drawn
            ax.text(0.99, 0.02, f"{int((~finite).sum())} non-finite not drawn", transform=ax.transAxes, ha="right",
                    fontsize=7, color="grey")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    if groups is not None:  # a colour bar of its own axes at the right, so the panels keep their size
        fig.subplots_adjust(right=0.93)
        bar = fig.colorbar(points, cax=fig.add_axes((0.945, 0.15, 0.012, 0.7)))
        bar.set_label(group_label, fontsize=8)
        bar.ax.tick_params(labelsize=7)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
