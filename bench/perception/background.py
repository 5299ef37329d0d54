"""A clip's static background plate from its frames and person masks.

The NeRF talking-portrait methods composite the rendered person over one background image
(the references' `bc.jpg`, made by their preprocessing). Here: each pixel's median over the
frames where the person does not cover it; pixels the person covers in every frame are filled
by OpenCV's Telea inpainting from the pixels around them.
"""

from __future__ import annotations

import cv2
import numpy as np

_CHUNK_BYTES = 256 * 2**20
"""Rows are processed in blocks whose float32 copy stays under this size (bounded memory at 512 px)."""


def estimate_background(frames: np.ndarray, person_mask: np.ndarray, *, inpaint_radius: float = 5.0) -> np.ndarray:
    """Background [H, W, 3] uint8 of frames [T, H, W, 3] uint8 given where the person is, [T, H, W] bool.

    Per pixel: the median over frames where `person_mask` is False (per channel, rounded);
    pixels covered in every frame are inpainted (Telea, `inpaint_radius` pixels). When no pixel
    is ever uncovered, the median of all frames is returned, as nothing better is known.
    """
    frames = np.asarray(frames)
    mask = np.asarray(person_mask).astype(bool)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"estimate_background: frames must be uint8 [T,H,W,3], got {frames.dtype} {frames.shape}")
    if mask.shape != frames.shape[:3]:
        raise ValueError(f"estimate_background: person_mask must be [T,H,W] = {frames.shape[:3]}, got {mask.shape}")
    t, h, w, _ = frames.shape
    if t == 0:
        raise ValueError("estimate_background: no frames")
    out = np.zeros((h, w, 3), np.uint8)
    never = np.zeros((h, w), bool)
    rows = max(1, int(_CHUNK_BYTES // max(1, t * w * 3 * 4)))
    for r0 in range(0, h, rows):
        r1 = min(h, r0 + rows)
        block = frames[:, r0:r1].astype(np.float32)
        covered = mask[:, r0:r1]
        block[covered] = np.nan
        free = ~covered.all(axis=0)
        med = np.zeros((r1 - r0, w, 3), np.float32)
        if free.any():
            med[free] = np.nanmedian(block[:, free], axis=0)
        out[r0:r1] = np.clip(np.rint(med), 0, 255).astype(np.uint8)
        never[r0:r1] = ~free
    if never.all():
        return np.clip(np.rint(np.median(frames, axis=0)), 0, 255).astype(np.uint8)
    if never.any():
        bgr = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
        filled = cv2.inpaint(bgr, never.astype(np.uint8) * 255, float(inpaint_radius), cv2.INPAINT_TELEA)
        out = cv2.cvtColor(filled, cv2.COLOR_BGR2RGB)
    return out
