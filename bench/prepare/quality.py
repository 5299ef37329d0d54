"""What can be measured of a prepared clip's head poses and masks when the footage has no ground truth.

Real video has no true head pose, so `bench data prepare` reports what is measurable instead (and stores it in
`meta["quality"]`, which every run on the clip copies into its provenance and its report page):

* reprojection — the landmarks' reprojection RMSE (px at the clip's resolution) of each pose track whose 3D
  points are known here: the template fit's and the stabilized poses' (both in the template's head frame), and
  the fit's own record for the 3DMM tracker;
* jitter — per track, the mean frame-to-frame change of the angular step (°/frame, the rotation's second
  difference) and of the translation step (mm/frame), beside the mean step itself: jitter close to the step
  means the track is mostly noise;
* agreement — between every two pose tracks of the clip (template or 3DMM, stabilized), the rotation residual
  after one constant rotation aligns the tracks (their head frames differ by one), mean and max in degrees;
* mask agreement — the IoU of the head / torso split against a face-parsing model's (BiSeNet, when its weights
  are installed; `mask_check`), else the reason it is missing.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from talkbench.geometry import camera, so3

POSE_TRACKS = ("head_pose", "head_pose_stabilized")
"""The clip's pose annotations, in the order they are reported."""


def _relative(rots: np.ndarray) -> np.ndarray:
    """Rotations [T-1, 3, 3] taking each frame's rotation to the next's (in the camera frame)."""
    return rots[1:] @ np.swapaxes(rots[:-1], 1, 2)


def pose_jitter(poses: np.ndarray) -> dict[str, float]:
    """Mean step and jitter of a pose track [T, 4, 4]: rotation in °/frame, translation in mm/frame."""
    poses = np.asarray(poses, np.float64)
    if len(poses) < 3:
        return {}
    steps = _relative(poses[:, :3, :3])
    step_deg = so3.angle_deg(steps)
    jitter_deg = so3.angle_deg(_relative(steps))  # change of the angular step: the rotation's second difference
    t = poses[:, :3, 3] * 1000.0
    return {"rotation_step_deg": float(step_deg.mean()), "rotation_jitter_deg": float(jitter_deg.mean()),
            "translation_step_mm": float(np.linalg.norm(np.diff(t, axis=0), axis=1).mean()),
            "translation_jitter_mm": float(np.linalg.norm(np.diff(t, 2, axis=0), axis=1).mean())}


def rotation_agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Rotation residual (°) between two pose tracks [T, 4, 4] after the constant rotation that best aligns b to a.

    The tracks' head frames may differ by a fixed rotation (R_b = R_a Q); `pose_errors`' aligned rotation removes the
    best one, so what remains is where the tracks disagree about the motion.
    """
    from talkbench.face3d.template import pose_errors

    aligned = pose_errors(a, b)["rotation_aligned_deg"]
    return {"rotation_mean_deg": aligned["mean"], "rotation_max_deg": aligned["max"]}


def reprojection_rmse(poses: np.ndarray, points3d: np.ndarray, landmarks: np.ndarray, intrinsics: dict[str, Any]) -> dict[str, float]:
    """Per-frame RMSE (px) of 3D points [K, 3] under poses [T, 4, 4] against landmarks [T, K, 2]: mean and max."""
    k = camera.camera_matrix(*(float(intrinsics[n]) for n in ("fx", "fy", "cx", "cy")))
    uv = camera.project_points(points3d, np.asarray(poses, np.float64), k)
    err = np.sqrt(((uv - np.asarray(landmarks, np.float64)) ** 2).sum(-1).mean(-1))
    err = err[np.isfinite(err)]
    return {"rmse_px_mean": float(err.mean()), "rmse_px_max": float(err.max())} if err.size else {}


def mask_iou(ours: np.ndarray, theirs: np.ndarray) -> float | None:
    """Pooled IoU of two mask stacks [T, H, W] (None when both are empty)."""
    a, b = np.asarray(ours, bool), np.asarray(theirs, bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else None


MaskCheck = Callable[[np.ndarray, np.ndarray, np.ndarray], dict[str, Any]]
"""(frames, head_mask, torso_mask) -> the mask-agreement record."""


def preparation_quality(annotations: dict[str, np.ndarray], meta: dict[str, Any], frames: np.ndarray | None = None,
                        mask_check: MaskCheck | None = None) -> dict[str, Any]:
    """The measurable quality of a prepared clip's poses and masks (module docstring): JSON-ready."""
    tracks = {name: np.asarray(annotations[name], np.float64) for name in POSE_TRACKS if name in annotations}
    out: dict[str, Any] = {"poses": {}, "agreement": {}}
    convention = str(meta.get("head_pose_convention", ""))
    template_frame = "face3d.template" in convention
    for name, poses in tracks.items():
        record: dict[str, Any] = dict(pose_jitter(poses))
        if name == "head_pose" and "rmse_px_mean" in meta.get("head_pose", {}):
            record["rmse_px_mean"] = float(meta["head_pose"]["rmse_px_mean"])
            record["rmse_px_max"] = float(meta["head_pose"]["rmse_px_max"])
        elif template_frame and "landmarks" in annotations and "intrinsics" in meta:
            from talkbench.face3d.template import TEMPLATE_68

            record.update(reprojection_rmse(poses, TEMPLATE_68, annotations["landmarks"], meta["intrinsics"]))
        out["poses"][name] = record
    names = list(tracks)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            out["agreement"][f"{a} vs {b}"] = rotation_agreement(tracks[a], tracks[b])
    focal = meta.get("head_pose", {}).get("focal_px")
    if focal is not None:
        out["focal_px"] = float(focal)
        out["focal_at_bound"] = bool(meta.get("head_pose", {}).get("settings", {}).get("focal_at_bound", False))
    if mask_check is not None and frames is not None and "head_mask" in annotations and "torso_mask" in annotations:
        out["masks"] = mask_check(frames, annotations["head_mask"], annotations["torso_mask"])
    return out


def summary_lines(quality: dict[str, Any]) -> list[str]:
    """One line per pose track, per agreement and for the masks, for `bench data prepare`'s summary."""
    lines = []
    for name, r in quality.get("poses", {}).items():
        parts = []
        if "rmse_px_mean" in r:
            parts.append(f"reprojection RMSE {r['rmse_px_mean']:.2f} px (max {r['rmse_px_max']:.2f})")
        if "rotation_jitter_deg" in r:
            parts.append(f"jitter {r['rotation_jitter_deg']:.2f}°/frame on steps of {r['rotation_step_deg']:.2f}°, "
                         f"{r['translation_jitter_mm']:.1f} mm on {r['translation_step_mm']:.1f} mm")
        lines.append(f"{name}: " + "; ".join(parts))
    for pair, r in quality.get("agreement", {}).items():
        lines.append(f"{pair}: rotations agree to {r['rotation_mean_deg']:.2f}° (max {r['rotation_max_deg']:.2f}°)")
    masks = quality.get("masks")
    if masks:
        if masks.get("available"):
            lines.append(f"masks vs face parsing ({masks.get('model')}): head IoU {masks['head_iou']:.3f}, "
                         f"torso IoU {masks['torso_iou']:.3f}")
        else:
            lines.append(f"masks vs face parsing: unavailable ({masks.get('reason')})")
    return lines


MASK_CHECK_FRAMES = 25
"""Frames (evenly spread) the face-parsing check runs on: enough for a pooled IoU, cheap on a CPU."""


def face_parsing_check(frames: np.ndarray, head: np.ndarray, torso: np.ndarray, device: str = "cpu") -> dict[str, Any]:
    """Head / torso IoU of the prepared masks against BiSeNet face parsing's (installed weights), else the reason."""
    from talkbench.core.errors import WeightsMissing

    try:
        from talkbench.zoo import face_parsing
    except ImportError as exc:  # the zoo module ships with the parsing model; a partial install lacks it
        return {"available": False, "reason": f"face parsing is not part of this install ({exc})"}
    try:
        pick = np.unique(np.linspace(0, len(frames) - 1, min(MASK_CHECK_FRAMES, len(frames))).round().astype(int))
        labels = face_parsing.parse_faces(np.asarray(frames)[pick], device=device)
    except WeightsMissing as exc:
        return {"available": False, "reason": str(exc)}
    their_head, neck, their_torso = face_parsing.head_torso_from_parsing(labels)
    # talkbench's torso is the person minus the head: the references' neck and torso classes together
    digest = face_parsing.load_bisenet(device)[1]
    return {"available": True, "model": f"BiSeNet {face_parsing.BISENET_FACE_PARSING.filename} (sha256 {digest[:12]})",
            "frames": int(len(pick)),
            "head_iou": mask_iou(np.asarray(head)[pick], their_head),
            "torso_iou": mask_iou(np.asarray(torso)[pick], neck | their_torso)}
