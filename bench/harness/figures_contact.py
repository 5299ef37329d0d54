"""A picture of a run: reference, prediction and error for a few test frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


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
