"""SyncTalk's Head-Sync Stabilizer: rigid face points tracked with optical flow, then the two-stage
bundle adjustment of Eq. 7–8 refining the rough head poses.

Protocol (SyncTalk's `data_utils/process.py` extract_flow and `face_tracking/bundle_adjustment.py`):

1. **Tracking.** Dense flow from one reference frame (frame 2, as the reference code) to every
   frame, over the rigid part of the face in the reference frame. The reference uses a learnt
   face-flow network (UNFaceFlow); talkbench uses OpenCV's DIS flow (medium preset), each frame's
   flow initialised with its neighbour's, so large motions are followed. The rigid face is
   the face hull of the 68 landmarks (jaw and brows) minus the dilated mouth (it moves with speech).
2. **Selection.** Each candidate pixel's trajectory gets the mean magnitude of its temporal
   Laplacian (kernel −0.5, 1, −0.5; frames whose mean Laplacian exceeds 3× the overall mean are
   left out of that average); the value is min-max scaled to 0–255 and, in every `window`×`window`
   cell, the steadiest pixel is kept if it scores below 40 and no kept point lies within
   `spacing` pixels. (The paper's text says "most significant flow changes"; its code keeps the
   steadiest points, which is what a bundle adjustment needs; talkbench follows the code.)
   Window and spacing are 5 px at 512 px and scale with the width.
3. **Bundle adjustment.** Stage 1 (Eq. 7): the points' 3D head-frame positions, started at the
   origin, are fitted with the poses fixed (Adam, lr 1e-2, 500 steps). Stage 2 (Eq. 8): points,
   rotations and translations together (Adam, lr 1e-4, 8000 steps in the paper profile). The loss is
   the mean squared reprojection error in pixels; the focal length stays fixed. Rotations are
   refined as an axis-angle correction applied to the rough rotation (the reference optimises Euler
   angles directly; near the solution the two are the same).

Poses follow talkbench's convention: head->camera 4×4 in metres, OpenCV camera axes. It runs as the
preparation pass `head_stabilizer` (`StabilizerPass`, registered through the `talkbench.passes` entry points in
pyproject.toml, so preparation never imports SyncTalk) over every frame of the video, so training and test
poses come from one fit: `bench data prepare --head-stabilizer`, or `--for synctalk` (its preferred poses),
asks for its annotation `head_pose_stabilized`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import torch
from tqdm import tqdm

from talkbench.core.errors import InputError
from talkbench.geometry import camera
from talkbench.prepare.pipeline import AnnotationPass, PassInputs, PassResult


@dataclass(frozen=True)
class StabilizerSettings:
    """Step counts and learning rates of the two bundle-adjustment stages, and the tracking choices."""

    reference_frame: int = 2
    """Frame the points are chosen in and tracked from (the reference code's ref_id)."""
    points_iters: int = 500
    """Stage 1 steps (points only)."""
    points_lr: float = 1e-2
    """Stage 1 learning rate (metres)."""
    joint_iters: int = 8000
    """Stage 2 steps (points, rotations, translations)."""
    joint_lr: float = 1e-4
    """Stage 2 learning rate."""
    max_points: int = 400
    """At most this many tracked points (the steadiest first) enter the adjustment."""


def rigid_face_mask(landmarks: np.ndarray, height: int, width: int) -> np.ndarray:
    """bool [H, W]: hull of the jaw and brows minus the dilated mouth hull, for one frame's 68 points."""
    lm = np.asarray(landmarks, np.float32)
    mask = np.zeros((height, width), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(lm[:27]).astype(np.int32)), 1)
    mouth = np.zeros_like(mask)
    cv2.fillConvexPoly(mouth, cv2.convexHull(np.round(lm[48:68]).astype(np.int32)), 1)
    grow = max(1, int(round(0.03 * width)))
    mouth = cv2.dilate(mouth, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return (mask > 0) & (mouth == 0)


def track_from_reference(frames: np.ndarray, reference: int, mask: np.ndarray, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Positions [T, N, 2] (x, y) of the reference frame's masked pixels in every frame, and those pixels [N, 2]."""
    grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in frames]
    ys, xs = np.nonzero(mask)
    start = np.stack([xs, ys], axis=1).astype(np.float32)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    dis.setUseSpatialPropagation(True)
    tracks = np.zeros((len(frames), len(start), 2), np.float32)
    flow = None
    # Walk outwards from the reference so each frame starts from its neighbour's flow.
    order = list(range(reference, len(frames))) + list(range(reference - 1, -1, -1))
    for i in tqdm(order, desc="head stabilizer: flow", unit="frame", leave=False, disable=None if progress else True):
        if i == reference - 1:
            flow = None  # restart from the reference going backwards
        # DIS starts from the flow it is handed when that has the frame's size (OpenCV's DIS calc).
        flow = dis.calc(grey[reference], grey[i], flow.copy() if flow is not None else None)
        tracks[i] = start + flow[ys, xs]
    return tracks, start


def select_steady_points(tracks: np.ndarray, start: np.ndarray, width: int, height: int) -> np.ndarray:
    """Indices of the steadiest trajectories, one per cell with non-maximum spacing (module docstring, step 2)."""
    t = len(tracks)
    if t < 3:
        return np.arange(len(start))
    lap = -0.5 * tracks[:-2] + tracks[1:-1] - 0.5 * tracks[2:]          # [T-2, N, 2]
    lap = np.linalg.norm(lap, axis=-1)                                  # [T-2, N]
    valid = lap.mean(axis=1) < 3.0 * lap.mean()
    score = lap[valid].mean(axis=0) if valid.any() else lap.mean(axis=0)
    span = float(score.max() - score.min())
    scaled = (score - score.min()) / span * 255.0 if span > 0 else np.zeros_like(score)
    cell = max(2, int(round(5 * width / 512)))
    spacing = cell
    grid = np.full((height, width), -1, np.int64)
    px = np.round(start).astype(int)
    grid[px[:, 1], px[:, 0]] = np.arange(len(start))
    taken = np.zeros((height, width), bool)
    chosen = []
    for y in range(0, height - cell, cell):
        for x in range(0, width - cell, cell):
            ids = grid[y:y + cell, x:x + cell].ravel()
            ids = ids[ids >= 0]
            if ids.size == 0:
                continue
            best = ids[np.argmin(scaled[ids])]
            if scaled[best] >= 40:
                continue
            bx, by = px[best]
            if taken[max(0, by - spacing):by + spacing + 1, max(0, bx - spacing):bx + spacing + 1].any():
                continue
            taken[by, bx] = True
            chosen.append(best)
    return np.array(chosen, np.int64)


def _rodrigues(omega: torch.Tensor) -> torch.Tensor:
    """Rotation matrices [T, 3, 3] of axis-angle vectors [T, 3] (differentiable, safe at 0).

    Not `talkbench.geometry.so3.rodrigues`: this form (unit axis, θ floored at 1e-6 by the 1e-12 under the root)
    rounds differently from that one's, and 8000 Adam steps turn a last-bit difference into other stabilized poses,
    a stored annotation. Switching to the shared form is a change of results, to be made (and re-measured) on its own.
    """
    theta = torch.sqrt((omega ** 2).sum(-1, keepdim=True) + 1e-12)[..., None]   # [T, 1, 1]
    k = omega / theta[..., 0]
    zero = torch.zeros_like(k[:, 0])
    kx = torch.stack([torch.stack([zero, -k[:, 2], k[:, 1]], -1), torch.stack([k[:, 2], zero, -k[:, 0]], -1),
                      torch.stack([-k[:, 1], k[:, 0], zero], -1)], 1)
    eye = torch.eye(3, dtype=omega.dtype, device=omega.device).expand_as(kx)
    return eye + torch.sin(theta) * kx + (1 - torch.cos(theta)) * (kx @ kx)


def bundle_adjust(tracks: np.ndarray, poses: np.ndarray, intrinsics: dict[str, Any],
                  settings: StabilizerSettings = StabilizerSettings(), progress: bool = True) -> tuple[np.ndarray, dict[str, float]]:
    """Eq. 7–8: refined head->camera poses [T, 4, 4] from tracks [T, N, 2] and rough poses, and the fit's RMSEs (px)."""
    k = (float(intrinsics["fx"]), float(intrinsics["fy"]), float(intrinsics["cx"]), float(intrinsics["cy"]))
    target = torch.from_numpy(np.asarray(tracks, np.float64))
    p0 = torch.from_numpy(np.asarray(poses, np.float64))
    r0, t0 = p0[:, :3, :3], p0[:, :3, 3]
    points = torch.zeros(target.shape[1], 3, dtype=torch.float64, requires_grad=True)
    omega = torch.zeros(len(p0), 3, dtype=torch.float64, requires_grad=True)
    dt = torch.zeros(len(p0), 3, dtype=torch.float64, requires_grad=True)

    def loss_fn() -> torch.Tensor:
        """Mean squared reprojection error (px²) of the points under the corrected poses."""
        rot = _rodrigues(omega) @ r0
        cam = points[None] @ rot.transpose(1, 2) + (t0 + dt)[:, None]  # [T, N, 3]
        return ((camera.project(cam, *k, min_depth=1e-4) - target) ** 2).sum(-1).mean()

    stats: dict[str, float] = {}
    with torch.no_grad():
        points.copy_(torch.zeros_like(points))
    opt = torch.optim.Adam([points], lr=settings.points_lr)
    for _ in tqdm(range(settings.points_iters), desc="head stabilizer: points", leave=False, disable=None if progress else True):
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
    stats["rmse_px_points_stage"] = float(loss_fn().detach().sqrt())
    opt = torch.optim.Adam([points, omega, dt], lr=settings.joint_lr)
    for _ in tqdm(range(settings.joint_iters), desc="head stabilizer: joint", leave=False, disable=None if progress else True):
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
    stats["rmse_px_joint_stage"] = float(loss_fn().detach().sqrt())
    with torch.no_grad():
        out = p0.clone()
        out[:, :3, :3] = _rodrigues(omega) @ r0
        out[:, :3, 3] = t0 + dt
    return out.numpy().astype(np.float32), stats


def stabilize_poses(frames: np.ndarray, landmarks: np.ndarray, poses: np.ndarray, intrinsics: dict[str, Any],
                    settings: StabilizerSettings = StabilizerSettings(), progress: bool = True) -> tuple[np.ndarray, dict[str, Any]]:
    """The whole stabilizer on uint8 RGB frames [T, H, W, 3]: (refined poses [T, 4, 4], what it did)."""
    frames = np.asarray(frames)
    t, h, w = frames.shape[:3]
    if t < 3:
        raise InputError(f"head stabilizer: needs at least 3 frames, got {t}")
    ref = min(settings.reference_frame, t - 1)
    mask = rigid_face_mask(landmarks[ref], h, w)
    if mask.sum() < 20:
        raise InputError(f"head stabilizer: the rigid face region of frame {ref} has {int(mask.sum())} pixels (too small to track)")
    tracks, start = track_from_reference(frames, ref, mask, progress)
    chosen = select_steady_points(tracks, start, w, h)
    if len(chosen) < 6:
        raise InputError(f"head stabilizer: only {len(chosen)} steady face points in frame {ref} (need 6)")
    chosen = chosen[: settings.max_points]
    refined, stats = bundle_adjust(tracks[:, chosen], poses, intrinsics, settings, progress)
    return refined, {"reference_frame": ref, "points": int(len(chosen)), "candidates": int(len(start)), **stats,
                     "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__}}


class StabilizerPass(AnnotationPass):
    """The Head-Sync Stabilizer as a preparation pass: `head_pose` refined into `head_pose_stabilized`."""

    name = "head_stabilizer"
    requires = frozenset({"head_pose", "landmarks", "intrinsics"})
    provides = frozenset({"head_pose_stabilized"})
    options = ("stabilizer_iters",)

    def run(self, inputs: PassInputs) -> PassResult:
        """Track the rigid face points and bundle-adjust every frame's pose (the module docstring's steps)."""
        try:
            stabilized, info = stabilize_poses(inputs.frames, inputs.get("landmarks"), inputs.get("head_pose"),
                                               inputs.get("intrinsics"), StabilizerSettings(joint_iters=inputs.options.stabilizer_iters))
        except InputError as exc:
            raise InputError(f"{inputs.source}: {exc}") from exc
        return PassResult(annotations={"head_pose_stabilized": stabilized.astype(np.float32)},
                          meta={"head_pose_stabilized": {"by": "talkbench.methods.synctalk.stabilizer.stabilize_poses (SyncTalk Eq. 7-8)",
                                                         **info}})
