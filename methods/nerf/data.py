"""A training clip as tensors: what every NeRF talking head trains on, plus the model's own extras.

* geometry: the head box (`head_box.measure_head`) and each frame's camera in NeRF units; the head poses come
  from the annotation the model names (`TalkingHeadModel.pose_annotation`);
* audio: a window of audio features per frame from the model's extractor (`talkbench.audio_features`):
  talkbench's offline default `log-mel` ([T, n_mels, 16], standardised per band with the training statistics),
  or the references' own features from installed weights fed raw as they do (`hubert` [T, 1024, 2], `wav2vec`
  [T, 44, 16], `deepspeech` [T, 29, 16], `syncnet` [T, 1024, 1]); computed from the audio after the model's
  front end (`audio_frontend`). The AudioNet's input follows the extractor's D and W;
* expression: the model's `expression` values, each channel scaled to [0, 1] with the training range; at
  render every channel is held at its training median;
* background: the prepared clip's stored background, or `estimate_background` of the frames with the person
  (head and torso masks, dilated by 2 px) removed;
* rectangles: the projected head box, the landmarks' box (the ambient loss's face region) and the lips' box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import torch

from talkbench import audio_features as audio_encoders
from talkbench.core.errors import InputError
from talkbench.core.types import Clip
from talkbench.methods.nerf.audio import feature_stats, normalise_windows
from talkbench.methods.nerf.head_box import HeadGeometry, measure_head, pixel_intrinsics, rect_of_points
from talkbench.perception.background import estimate_background

if TYPE_CHECKING:
    from talkbench.methods.nerf.model import TalkingHeadModel


@dataclass
class PreparedClip:
    """A training clip as tensors on the training device."""

    frames: torch.Tensor
    """uint8 [T, H, W, 3]."""
    head_mask: torch.Tensor
    """bool [T, H, W]."""
    background: torch.Tensor
    """float [H, W, 3] in [0, 1]."""
    c2w: torch.Tensor
    """float [T, 4, 4] camera-to-NeRF."""
    poses: torch.Tensor
    """float [T, 4, 4] head->camera (metres)."""
    windows: torch.Tensor
    """float [T, D, W] audio windows (standardised when the extractor asks for it)."""
    eye: torch.Tensor | None
    """float [T, E] expression values scaled to [0, 1] per channel (E = 1: the eye), or None."""
    head_rect: torch.Tensor
    """int64 [T, 4] projected head box (row0, row1, col0, col1)."""
    face_rect: torch.Tensor
    """int64 [T, 4] landmarks' box (the ambient loss's face region)."""
    lips_rect: np.ndarray | None
    """int64 [T, 4] the lips' square box, or None without landmarks."""
    lips_rect_t: torch.Tensor | None
    """`lips_rect` as a tensor."""
    geometry: HeadGeometry
    intrinsics: tuple[float, float, float, float]
    meta: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)
    """Tensors only the model's subclass uses (`TalkingHeadModel.prepare_extras`)."""


def prepare_clip(clip: Clip, model: "TalkingHeadModel", device: torch.device) -> PreparedClip:
    """Check the annotations and turn the training clip into tensors (see the module docstring)."""
    ann = clip.annotations
    missing = [k for k in ("head_pose", "head_mask") if k not in ann]
    if missing:
        raise InputError(f"clip {clip.name}: the NeRF methods need annotations {', '.join(missing)} (head pose and head mask per frame)")
    if "intrinsics" not in clip.meta:
        raise InputError(f"clip {clip.name}: the NeRF methods need clip.meta['intrinsics'] (fx, fy, cx, cy)")
    cfg = model.cfg
    t, h, w, _ = clip.frames.shape
    head_mask = np.asarray(ann["head_mask"]).astype(bool)
    from talkbench.datasets.clip_meta import background_image, clip_intrinsics

    intrinsics = clip_intrinsics(clip)  # scaled when load_dataset resized a prepared clip
    fx, fy, cx, cy = (float(intrinsics[k]) for k in ("fx", "fy", "cx", "cy"))
    extra: dict[str, Any] = {}
    pose_key, pose_note = model.pose_annotation(ann)
    poses = np.asarray(ann[pose_key], np.float64)
    extra["poses"] = {"annotation": pose_key, **({"note": pose_note} if pose_note else {})}
    geometry = measure_head(head_mask, poses, fx, fy, cx, cy, cfg.sampling.head_margin)
    if "background" in clip.meta:  # prepared/imported clips carry the preprocessing's background
        background = background_image(clip)
    else:
        person = head_mask | np.asarray(ann["torso_mask"]).astype(bool) if "torso_mask" in ann else head_mask
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        person = np.stack([cv2.dilate(m.astype(np.uint8), kernel) for m in person]).astype(bool)
        background = estimate_background(clip.frames, person)

    extractor, fallback = model.audio_extractor()
    noise = model.noise_reference(clip.audio, clip.sample_rate)
    windows, audio_info = audio_encoders.extract(extractor, model.audio_frontend(clip.audio, clip.sample_rate, noise), t,
                                                 clip.fps, clip.sample_rate, n_mels=cfg.audio.n_mels, device=str(device))
    audio_info = {**audio_info, **model.audio_state(noise), **({"fallback": fallback} if fallback else {})}
    if audio_encoders.get_extractor(extractor).normalised:
        mean, std = feature_stats(windows)
        windows = normalise_windows(windows, mean, std)
    else:  # the references feed ASR outputs as they are; identity statistics keep render's path the same
        mean, std = np.zeros(windows.shape[1], np.float32), np.ones(windows.shape[1], np.float32)
    eye, eye_source = model.expression(clip)
    eye_meta: dict[str, Any] = {"source": eye_source, "dims": model.expression_dim()}
    if eye is not None and cfg.head.exp_eye:
        lo, hi = eye.min(axis=0), eye.max(axis=0)
        scaled = (eye - lo) / np.maximum(hi - lo, 1e-6)
        median = np.median(scaled, axis=0)
        # one value per channel at render (the test split's expression track is not part of the drive)
        eye_meta.update(lo=lo.tolist(), hi=hi.tolist(), render_value=median.tolist())
        eye_t = torch.from_numpy(scaled.astype(np.float32)).reshape(t, -1).to(device)
    else:
        eye_t = None
        eye_meta.update(lo=0.0, hi=1.0, render_value=0.0)
    head_rect = geometry.project_box(poses, fx, fy, cx, cy, h, w)
    if "landmarks" in ann:
        lms = np.asarray(ann["landmarks"], np.float64)
        face_rect = rect_of_points(lms, h, w)
        lips_rect = rect_of_points(lms[:, 48:60], h, w, square=True)
    else:
        face_rect, lips_rect = head_rect.copy(), None
    data = PreparedClip(
        frames=torch.from_numpy(np.ascontiguousarray(clip.frames)).to(device),
        head_mask=torch.from_numpy(head_mask).to(device),
        background=torch.from_numpy(background.astype(np.float32) / 255.0).to(device),
        c2w=torch.from_numpy(geometry.camera_to_nerf(poses)).to(device),
        poses=torch.from_numpy(poses.astype(np.float32)).to(device),
        windows=torch.from_numpy(windows).to(device),
        eye=eye_t,
        head_rect=torch.from_numpy(head_rect).to(device),
        face_rect=torch.from_numpy(face_rect).to(device),
        lips_rect=lips_rect,
        lips_rect_t=torch.from_numpy(lips_rect).to(device) if lips_rect is not None else None,
        geometry=geometry,
        intrinsics=pixel_intrinsics(intrinsics),
        meta={"audio_mean": mean, "audio_std": std, "eye": eye_meta, "audio": audio_info, **extra},
    )
    model.prepare_extras(clip, data)
    return data
