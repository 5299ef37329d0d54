"""Transient occluders for the wild synthetic portrait: a hand sweeping over the torso.

The hand is drawn from signed distance functions (a palm ellipse, four finger capsules and a
thumb), shaded darker towards its outline, and pasted with an affine warp per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SKIN_RGB = (222.0, 170.0, 138.0)


def _capsule_sdf(x: np.ndarray, y: np.ndarray, a: tuple[float, float], b: tuple[float, float], r: float) -> np.ndarray:
    ax, ay = a
    bx, by = b
    px, py = x - ax, y - ay
    vx, vy = bx - ax, by - ay
    h = np.clip((px * vx + py * vy) / (vx * vx + vy * vy), 0.0, 1.0)
    return np.hypot(px - h * vx, py - h * vy) - r


def hand_sprite(size: int, rgb: tuple[float, float, float] = SKIN_RGB) -> tuple[np.ndarray, tuple[float, float]]:
    """An RGBA float32 [size, size, 4] hand pointing right (+x), and the palm centre (x, y) in it."""
    L = float(size)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    pcx, pcy = 0.30 * L, 0.52 * L
    pa, pb = 0.16 * L, 0.19 * L
    # palm: approximate ellipse SDF (radial distance scaled by the smaller semi-axis)
    rn = np.sqrt(((x - pcx) / pa) ** 2 + ((y - pcy) / pb) ** 2)
    sdf = (rn - 1.0) * min(pa, pb)
    fr = 0.042 * L
    for dy, length, angle in ((-0.135, 0.27, -0.10), (-0.045, 0.31, -0.03), (0.045, 0.30, 0.03), (0.13, 0.23, 0.10)):
        base = (pcx + 0.11 * L, pcy + dy * L)
        tip = (base[0] + length * L * np.cos(angle), base[1] + length * L * np.sin(angle))
        sdf = np.minimum(sdf, _capsule_sdf(x, y, base, tip, fr))
    thumb_base = (pcx + 0.04 * L, pcy - 0.13 * L)
    thumb_tip = (thumb_base[0] + 0.17 * L * np.cos(-0.9), thumb_base[1] + 0.17 * L * np.sin(-0.9))
    sdf = np.minimum(sdf, _capsule_sdf(x, y, thumb_base, thumb_tip, 0.05 * L))
    alpha = np.clip(0.5 - sdf, 0.0, 1.0)
    inner = np.clip(-sdf / (0.05 * L), 0.0, 1.0)
    light = 0.72 + 0.22 * inner + 0.08 * (1.0 - y / L)  # darker rim, lit from above
    rgba = np.empty((size, size, 4), np.float32)
    for c in range(3):
        rgba[..., c] = np.clip(rgb[c] * light, 0, 255)
    rgba[..., 3] = alpha
    return rgba, (pcx, pcy)


@dataclass
class Episode:
    """One hand sweep: frames [start, stop), entering from `side`, reaching `reach` (fraction of width)."""

    start: int
    stop: int
    side: str
    reach: float
    height: float
    angle_deg: float

    def to_dict(self) -> dict:
        return {"start": self.start, "stop": self.stop, "side": self.side, "reach": self.reach,
                "height": self.height, "angle_deg": self.angle_deg}


def plan_episodes(n_frames: int, n_train: int, fps: float, count: int, duration_s: tuple[float, float],
                  height: tuple[float, float], reach: tuple[float, float], seed: int) -> list[Episode]:
    """`count` episodes: count-1 spread over the training frames, the last one inside the test split."""
    rng = np.random.default_rng(seed)
    episodes: list[Episode] = []

    def make(start: int, length: int) -> Episode:
        side = "left" if rng.random() < 0.5 else "right"
        return Episode(int(start), int(start + length), side, float(rng.uniform(*reach)),
                       float(rng.uniform(*height)), float(rng.uniform(-12, 12)))

    n_before = max(0, count - 1)
    if n_before:
        slot = n_train / n_before
        for k in range(n_before):
            length = int(round(rng.uniform(*duration_s) * fps))
            length = max(2, min(length, int(slot) - 1))
            lo = int(k * slot)
            hi = max(lo, int((k + 1) * slot) - length)
            episodes.append(make(int(rng.integers(lo, hi + 1)), length))
    test_len = n_frames - n_train
    if count >= 1 and test_len >= 2:
        length = int(round(rng.uniform(*duration_s) * fps))
        length = max(2, min(length, test_len - 1 if test_len > 3 else test_len))
        start = n_train + int(rng.integers(0, test_len - length + 1))
        episodes.append(make(start, length))
    return episodes


def render_occluders(frames: np.ndarray, episodes: list[Episode]) -> tuple[np.ndarray, np.ndarray]:
    """Frames with the hand pasted in, and the uint8 occluder mask; pixels outside the mask are untouched."""
    T, H, W, _ = frames.shape
    out = frames.copy()
    mask = np.zeros((T, H, W), np.uint8)
    size = int(round(0.42 * W))
    sprite, (pcx, pcy) = hand_sprite(size)
    for ep in episodes:
        n = ep.stop - ep.start
        for k in range(n):
            i = ep.start + k
            if i >= T:
                break
            p = np.sin(np.pi * (k + 0.5) / n)  # 0 -> 1 -> 0: in, hold briefly, out
            p = min(1.0, 1.15 * p)
            x_out = -0.30 * W
            x_in = ep.reach * W
            cx = x_out + (x_in - x_out) * p
            cy = ep.height * H + 0.01 * H * np.sin(2 * np.pi * k / max(n, 1))
            if ep.side == "right":
                cx = W - 1 - cx
            angle = ep.angle_deg if ep.side == "left" else -ep.angle_deg
            M = cv2.getRotationMatrix2D((pcx, pcy), -angle, 1.0)
            if ep.side == "right":  # mirror the sprite so the fingers point left
                flip = np.array([[-1.0, 0.0, size - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
                M = (np.vstack([M, [0, 0, 1]]) @ flip)[:2]
            # move the palm centre to (cx, cy)
            M[:, 2] += np.array([cx, cy]) - M @ np.array([pcx, pcy, 1.0])
            layer = cv2.warpAffine(sprite, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            a = layer[..., 3]
            m = a > (1.0 / 512.0)
            if not m.any():
                continue
            a3 = a[m][:, None]
            blended = frames[i][m].astype(np.float32) * (1.0 - a3) + layer[..., :3][m] * a3
            out[i][m] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
            mask[i][m] = 1
    return out, mask
