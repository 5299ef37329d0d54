"""WildTalker's flow-guided temporal mask (Eq. 4) and the per-ray torso-loss weight it gives (Eq. 6).

    M_i = max(M_{i-1} · δ_i, 1(|V_i| > θ))

`V_i` is the dense optical flow between frames i-1 and i, measured on frame i's pixel grid
(OpenCV's DIS flow from frame i to frame i-1; DEPENDENCIES.md: 4 ms for a 512² pair with the
fast preset, against 55 ms for Farneback). WildTalker used a learnt flow model [39] and did not
publish θ, the decay rule or how M weights the loss, so these are talkbench's choices, recorded in
every result through the method's config:

* θ is a fraction of the frame width per frame (`threshold`), so one setting serves every
  resolution: 0.004 is 0.5 px/frame at 128 px and 2 px/frame at 512 px. On the wild synthetic
  portrait (128 px) the 99th percentile of the flow is 0.30 px/frame on the head, 0.18 on the
  background and 3.1 on the hand; a uniform hand's interior shows little flow (the aperture
  problem), which is what the accumulation over frames makes up for.
* δ_i grows with how much of frame i moves faster than θ: δ_i = δ_min + (δ_max − δ_min) ·
  min(1, a_i / a_ref), a_i the fraction of such pixels. While something is moving the mask
  persists (a hand that pauses mid-gesture stays masked); in calm frames it fades within a few
  frames, so the torso is not masked for longer than needed.
* The binary flow mask is dilated by `dilate` (fraction of the width): flow is unreliable on a
  moving object's boundary.
* Pixels of the head (the head mask) are never masked: the mouth and blinks move faster than θ
  but belong to the portrait, and the head stage does not use this weight anyway.
* Eq. 6 writes L_torso = M(r) · L_recon(r) with M marking the transient areas; to *de-emphasise*
  them, as the text says, the per-ray weight is 1 − M(r).

Optical flow is used in training only (as in the paper): rendering never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from tqdm import tqdm

PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


@dataclass(frozen=True)
class TemporalMaskSettings:
    """The free choices of Eq. 4 (see the module docstring)."""

    threshold: float = 0.004
    """θ: flow magnitude, as a fraction of the frame width per frame, above which a pixel is transient."""
    decay_min: float = 0.8
    """δ in frames where nothing moves faster than θ (the mask fades)."""
    decay_max: float = 0.98
    """δ in frames where at least `area_ref` of the pixels move faster than θ (the mask persists)."""
    area_ref: float = 0.01
    """Moving-pixel fraction at which δ reaches decay_max."""
    dilate: float = 0.02
    """Dilation of each frame's binary flow mask, fraction of the width."""
    preset: str = "fast"
    """OpenCV DIS optical-flow preset: ultrafast, fast or medium."""


def flow_magnitudes(frames: np.ndarray, preset: str = "fast", progress: bool = True) -> np.ndarray:
    """|V_i| in pixels per frame [T, H, W] float32: DIS flow from frame i to frame i-1 (frame 0: zeros)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown DIS preset {preset!r}; use one of {', '.join(PRESETS)}")
    frames = np.asarray(frames)
    t, h, w = frames.shape[:3]
    dis = cv2.DISOpticalFlow_create(PRESETS[preset])
    out = np.zeros((t, h, w), np.float32)
    grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in frames]
    for i in tqdm(range(1, t), desc="optical flow", unit="frame", leave=False, disable=None if progress else True):
        flow = dis.calc(grey[i], grey[i - 1], None)
        out[i] = np.sqrt((flow ** 2).sum(axis=-1))
    return out


def temporal_mask(magnitudes: np.ndarray, width: int, settings: TemporalMaskSettings = TemporalMaskSettings(),
                  keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 4 over a clip: (M [T, H, W] float32 in [0, 1], δ per frame [T]).

    `keep` ([T, H, W] bool, e.g. the head masks) marks pixels that are never transient.
    """
    s = settings
    if not 0.0 <= s.decay_min <= s.decay_max <= 1.0:
        raise ValueError(f"need 0 <= decay_min <= decay_max <= 1, got {s.decay_min}, {s.decay_max}")
    if s.threshold <= 0 or s.area_ref <= 0:
        raise ValueError("threshold and area_ref must be positive")
    mags = np.asarray(magnitudes, np.float32)
    theta = s.threshold * width
    radius = int(round(s.dilate * width))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)) if radius > 0 else None
    masks = np.zeros(mags.shape, np.float32)
    decays = np.zeros(len(mags), np.float32)
    previous = np.zeros(mags.shape[1:], np.float32)
    for i, mag in enumerate(mags):
        moving = mag > theta
        if keep is not None:
            moving &= ~np.asarray(keep[i], bool)
        area = float(moving.mean())
        if kernel is not None and moving.any():
            moving = cv2.dilate(moving.astype(np.uint8), kernel).astype(bool)
        decay = s.decay_min + (s.decay_max - s.decay_min) * min(1.0, area / s.area_ref)
        current = np.maximum(previous * decay, moving.astype(np.float32))
        if keep is not None:  # also clears what the accumulation carried onto this frame's head
            current[np.asarray(keep[i], bool)] = 0.0
        masks[i], decays[i], previous = current, decay, current
    return masks, decays


def loss_weights(frames: np.ndarray, head_masks: np.ndarray | None = None,
                 settings: TemporalMaskSettings = TemporalMaskSettings()) -> tuple[np.ndarray, dict[str, float]]:
    """Per-pixel torso-loss weights 1 − M [T, H, W] float32 for uint8 RGB frames, and summary statistics."""
    frames = np.asarray(frames)
    mags = flow_magnitudes(frames, settings.preset)
    keep = np.asarray(head_masks).astype(bool) if head_masks is not None else None
    masks, decays = temporal_mask(mags, frames.shape[2], settings, keep)
    weights = 1.0 - masks
    stats = {"masked_fraction_mean": float(masks.mean()), "frames_with_transients": int((masks.max(axis=(1, 2)) >= 1.0).sum()),
             "decay_mean": float(decays.mean()), "threshold_px": float(settings.threshold * frames.shape[2])}
    return weights.astype(np.float32), stats
