"""SyncTalk's Portrait-Sync Generator: the rendered face blended into the original frame, and the
neck-colour fill of head–torso gaps.

* **Blend** (`portrait_blend`): the face region of the render (the head's accumulated opacity
  above 0.5, eroded so the blend stays inside the face) is blurred with a Gaussian and used as the
  alpha of the render over the original frame: out = G(m)·render + (1 − G(m))·original. Hair,
  background and torso then come from the original video (SyncTalk's "Portrait" rows; the
  reference blends over its ground-truth frames, `blend_with_mask_cuda`). It needs the original
  frames of the drive, so talkbench only applies it when the drive carries them (self-driven tests);
  results say so through the method's `portrait=on` variant.
* **Neck fill** (`fill_neck_gap`): when the rendered head is "silent" while the source frame's
  speaker opened the jaw, a strip between chin and torso shows the background. Pixels below the
  chin, within the chin's columns and above the torso's top, whose head and torso opacities sum
  below 0.5, get the mean neck colour C_n of the training frames (`neck_colour`), blended by how
  transparent they are.
"""

from __future__ import annotations

import cv2
import numpy as np


def neck_colour(frames: np.ndarray, landmarks: np.ndarray, torso_masks: np.ndarray, band: float = 0.06) -> np.ndarray:
    """Mean RGB (float32 [3], 0–255) of the torso pixels just below the chin (landmark 8) over the frames."""
    h = frames.shape[1]
    rows = max(2, int(round(band * h)))
    total = np.zeros(3, np.float64)
    count = 0
    for frame, lm, torso in zip(frames, landmarks, np.asarray(torso_masks).astype(bool)):
        chin_x, chin_y = lm[8]
        jaw_half = 0.25 * abs(lm[12, 0] - lm[4, 0]) + 1
        y0, y1 = int(round(chin_y)) + 1, int(round(chin_y)) + 1 + rows
        x0, x1 = int(round(chin_x - jaw_half)), int(round(chin_x + jaw_half)) + 1
        region = torso[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]
        if region.any():
            pixels = frame[max(0, y0):max(0, y1), max(0, x0):max(0, x1)][region]
            total += pixels.reshape(-1, 3).sum(0)
            count += len(pixels)
    if count == 0:
        return np.asarray(np.median(frames.reshape(-1, 3), axis=0), np.float32)
    return (total / count).astype(np.float32)


def fill_neck_gap(image: np.ndarray, head_alpha: np.ndarray, torso_alpha: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """One frame float [H, W, 3] (0–1) with the chin–torso gap filled with `colour` (0–1) (module docstring)."""
    head = head_alpha > 0.5
    rows = np.flatnonzero(head.any(axis=1))
    if rows.size == 0:
        return image
    chin = rows[-1]
    cols = np.flatnonzero(head[max(chin - 2, 0):chin + 1].any(axis=0))
    torso_rows = np.flatnonzero((torso_alpha > 0.5)[:, cols].any(axis=1)) if cols.size else np.array([], int)
    below = torso_rows[torso_rows > chin]
    if cols.size == 0 or below.size == 0:
        return image
    top = below[0]
    if top <= chin + 1:
        return image
    out = image.copy()
    strip = (slice(chin + 1, top + 1), slice(cols[0], cols[-1] + 1))
    gap = np.clip(1.0 - head_alpha[strip] - torso_alpha[strip], 0.0, 1.0)
    gap = np.where(gap > 0.5, gap, 0.0)[..., None]
    out[strip] = out[strip] * (1 - gap) + np.asarray(colour, np.float32)[None, None] * gap
    return out


def portrait_blend(render: np.ndarray, original: np.ndarray, head_alpha: np.ndarray, blur: float = 0.02) -> np.ndarray:
    """uint8 [H, W, 3]: the render's face blended over the original frame with a blurred face mask."""
    h, w = render.shape[:2]
    face = (head_alpha > 0.5).astype(np.uint8)
    grow = max(1, int(round(blur * w)))
    face = cv2.erode(face, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    sigma = max(0.5, blur * w)
    mask = cv2.GaussianBlur(face.astype(np.float32), (0, 0), sigma)[..., None]
    out = render.astype(np.float32) * mask + original.astype(np.float32) * (1 - mask)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
