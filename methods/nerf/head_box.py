"""The head's box in the head frame and its map onto NeRF units, and image rectangles of point sets.

The head pose annotation is head->camera (metres, OpenCV camera axes), so the camera in the head frame is its
inverse. The head's box is measured from the head masks (their bounding boxes lifted to the head's depth and
taken into the head frame, over the training frames, plus a margin; as deep as it is wide) and mapped onto NeRF
units so that its largest half-extent is 1 (`bound` = 1). talkbench's intrinsics put pixel centres at integer
coordinates (`talkbench.datasets.synthetic`), `rays.camera_rays` at +0.5, so cx and cy are shifted by 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from talkbench.core.errors import InputError
from talkbench.geometry import camera


@dataclass
class HeadGeometry:
    """The head box and the map from head-frame metres to NeRF units: nerf = (head - centre) / scale."""

    centre: tuple[float, float, float]
    """Centre of the head box in the head frame (metres)."""
    half: tuple[float, float, float]
    """Half-extents of the head box (metres)."""
    scale: float
    """Metres per NeRF unit (the largest half-extent)."""

    @property
    def aabb(self) -> list[float]:
        """The head box in NeRF units, (xmin, ymin, zmin, xmax, ymax, zmax)."""
        h = [v / self.scale for v in self.half]
        return [-h[0], -h[1], -h[2], h[0], h[1], h[2]]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the checkpoint."""
        return {"centre": list(self.centre), "half": list(self.half), "scale": self.scale}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HeadGeometry":
        """Inverse of to_dict."""
        return cls(tuple(data["centre"]), tuple(data["half"]), float(data["scale"]))  # type: ignore[arg-type]

    def camera_to_nerf(self, poses: np.ndarray) -> np.ndarray:
        """Camera-to-NeRF transforms [T, 4, 4] of head->camera poses [T, 4, 4]."""
        to_head = camera.invert(poses)  # camera→head, metres
        out = np.zeros((len(poses), 4, 4), np.float32)
        out[:, :3, :3] = to_head[:, :3, :3]
        out[:, :3, 3] = (to_head[:, :3, 3] - np.asarray(self.centre)[None]) / self.scale
        out[:, 3, 3] = 1.0
        return out

    def project_box(self, poses: np.ndarray, fx: float, fy: float, cx: float, cy: float, height: int, width: int) -> np.ndarray:
        """Per frame, the image rectangle [T, 4] (row0, row1, col0, col1; half-open) covering the projected head box."""
        c, h = np.asarray(self.centre), np.asarray(self.half)
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], np.float64)
        corners = c[None] + signs * h[None]  # [8, 3] head frame
        uv = camera.project(camera.transform_points(poses.astype(np.float64), corners), fx, fy, cx, cy, min_depth=1e-6)
        u, v = uv[..., 0], uv[..., 1]
        r0 = np.clip(np.floor(v.min(1)) - 1, 0, height - 1)
        r1 = np.clip(np.ceil(v.max(1)) + 2, r0 + 1, height)
        c0 = np.clip(np.floor(u.min(1)) - 1, 0, width - 1)
        c1 = np.clip(np.ceil(u.max(1)) + 2, c0 + 1, width)
        return np.stack([r0, r1, c0, c1], axis=1).astype(np.int64)


def measure_head(head_mask: np.ndarray, poses: np.ndarray, fx: float, fy: float, cx: float, cy: float,
                 margin: float) -> HeadGeometry:
    """The head box from the head masks [T, H, W] and poses [T, 4, 4] of the training frames."""
    lo, hi = [], []
    for mask, pose in zip(head_mask, poses):
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        if rows.size == 0 or cols.size == 0:
            continue
        z = float(pose[2, 3])
        us = np.array([cols[0] - 0.5, cols[-1] + 0.5])
        vs = np.array([rows[0] - 0.5, rows[-1] + 0.5])
        pts = np.array([[(u - cx) / fx * z, (v - cy) / fy * z, z] for u in us for v in vs])  # camera frame
        head = (pts - pose[:3, 3]) @ pose[:3, :3]  # R^T (X - t), row-wise
        lo.append(head.min(0))
        hi.append(head.max(0))
    if not lo:
        raise InputError("the head masks are empty in every training frame: the head box cannot be measured")
    lo_a, hi_a = np.percentile(np.array(lo), 2, axis=0), np.percentile(np.array(hi), 98, axis=0)
    centre = 0.5 * (lo_a + hi_a)
    half = 0.5 * (hi_a - lo_a) * margin
    centre[2] = 0.0  # the pose origin is the head's centre; the box is as deep as it is wide
    half[2] = half[0]
    scale = float(np.max(half))
    return HeadGeometry(tuple(float(v) for v in centre), tuple(float(v) for v in half), scale)  # type: ignore[arg-type]


def pixel_intrinsics(intrinsics: dict[str, Any]) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) for `camera_rays` (pixel centres at +0.5) from talkbench's intrinsics (centres at integers)."""
    return float(intrinsics["fx"]), float(intrinsics["fy"]), float(intrinsics["cx"]) + 0.5, float(intrinsics["cy"]) + 0.5


def rect_of_points(points: np.ndarray, height: int, width: int, square: bool = False) -> np.ndarray:
    """Bounding rectangles [T, 4] (row0, row1, col0, col1; half-open) of point sets [T, K, 2] (x, y)."""
    x0, x1 = np.floor(points[..., 0].min(1)), np.ceil(points[..., 0].max(1)) + 1
    y0, y1 = np.floor(points[..., 1].min(1)), np.ceil(points[..., 1].max(1)) + 1
    if square:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = np.maximum(x1 - x0, y1 - y0) / 2
        x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
    r0 = np.clip(y0, 0, height - 1)
    c0 = np.clip(x0, 0, width - 1)
    r1 = np.clip(y1, r0 + 1, height)
    c1 = np.clip(x1, c0 + 1, width)
    return np.stack([r0, r1, c0, c1], axis=1).astype(np.int64)
