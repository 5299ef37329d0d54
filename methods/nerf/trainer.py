"""The shared training loop and renderer of the NeRF talking heads (ER-NeRF, RAD-NeRF).

What a clip gives the model (`prepare_clip`):

* geometry: the head pose annotation is head->camera (metres, OpenCV camera axes), so the camera
  in the head frame is its inverse; the head's box in the head frame is measured from the
  head masks (their bounding boxes lifted to the head's depth and taken into the head frame,
  over the training frames, plus a margin; as deep as it is wide) and mapped onto NeRF units
  so that its largest half-extent is 1 (`bound` = 1). Rays are built in NeRF units with
  `rays.camera_rays`. talkbench's intrinsics put pixel centres at integer coordinates
  (`talkbench.datasets.synthetic`), `camera_rays` at +0.5, so cx and cy are shifted by 0.5;
* audio: a window of audio features per frame from the extractor named by `audio_features`
  (`talkbench.audio_features.extractors`): talkbench's offline default `log-mel` ([T, n_mels, 16], standardised
  per band with the training statistics), or the references' own features computed from installed
  weights, fed raw as they do: `hubert` (ER-NeRF/SyncTalk aud_hu.npy, [T, 1024, 2]), `wav2vec`
  (RAD-NeRF aud_eo.npy, [T, 44, 16]) or `deepspeech` (AD-NeRF aud_ds.npy, [T, 29, 16]). The
  AudioNet's input follows the extractor's D and W; render computes the driving audio's windows
  with the extractor (and weights digest) recorded in the checkpoint;
* eyes: `audio.eye_feature`, scaled to [0, 1] with the training range, or with `expression=upper-face`
  SyncTalk's seven brow/eye features (`talkbench.methods.synctalk.expression`), each scaled the same way; at
  render every channel is held at its training median;
* SyncTalk / WildTalker switches (all off for ER-NeRF and RAD-NeRF): `audio_fallback` (a lip
  encoder whose weights are missing falls back, recorded), `mss` (MSS-denoised training and
  driving audio), `masked_attention` (audio attention penalised outside the lower face,
  expression attention inside it), `head_stabilizer` (train and render on the clip's
  `head_pose_stabilized`), `temporal_mask` (torso loss weighted by 1 − the flow-guided mask of
  `talkbench.methods.wildtalker.temporal_mask`), `neck_fill` (`talkbench.methods.synctalk.portrait`);
* background: `talkbench.perception.background.estimate_background` of the frames with the person
  (head and torso masks, dilated by 2 px) removed. The head stage composites the head over the
  ground-truth frame with its head pixels replaced by that background (the references'
  "bg_torso" image); the torso stage composites the frozen head over (torso over background).

Training (`train_model`), as in the references' `Trainer`: a head stage, an optional lip stage
(LPIPS on the lips' box every other step, when the AlexNet weights are installed) and a torso
stage with the head frozen. Per step, `frames_per_step` training frames are drawn and
`num_rays` rays split between them: `lips_fraction` of them inside the lips' box, up to
`box_fraction` inside the frame's projected head box, the rest anywhere (the references draw
them anywhere; the smoke profile concentrates them so a short run learns the audio-driven
mouth); rays that miss the box render as their background. Along each ray,
`num_steps` stratified depths in the box (+ `upsample_steps` importance samples). Instead of the
references' CUDA ray marcher, an occupancy grid with their update rule (every
`update_extra_interval` steps each cell's density at a random point is max-ed into the grid
decayed by 0.95, with a random training frame's audio; occupied = density > min(mean,
density_thresh)) skips samples in empty cells, after `occupancy_warmup` steps.

Every `log_every` steps, (stage, step, loss, PSNR of the training batch, lr, seconds, field
evaluations so far) go to `curves.csv` in the workdir; the checkpoint is `model.pt` (`talkbench.methods.nerf.checkpoint`).
Rendering draws each frame in chunks of `max_ray_batch` rays.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from talkbench.audio_features import extractors as audio_encoders
from talkbench.perception.background import estimate_background
from talkbench.infra.devices import resolve_device
from talkbench.core.errors import BenchError, InputError
from talkbench.core.config import MethodConfig
from talkbench.core.types import Checkpoint, Clip, Drive, Video
from talkbench.methods.nerf import losses
from talkbench.methods.synctalk.portrait import fill_neck_gap, neck_colour, portrait_blend
from talkbench.methods.nerf.audio import WINDOW_ROWS, AudioEncoder, eye_feature, feature_stats, normalise_windows
from talkbench.methods.nerf.checkpoint import load_checkpoint, save_checkpoint
from talkbench.methods.nerf.fields import ERNeRFField, HeadField, IndividualCodes, RADNeRFField
from talkbench.methods.nerf.hash_grid import HashGridConfig
from talkbench.methods.nerf.rays import camera_rays, importance_samples, merge_samples, near_far_from_aabb, points_along_rays, stratified_samples
from talkbench.methods.nerf.torso import TorsoField, pixel_coords, torso_entropy
from talkbench.methods.nerf.volume_rendering import composite

KINDS = ("er-nerf", "rad-nerf")
CHECKPOINT_FILE = "model.pt"
CURVES_FILE = "curves.csv"


@dataclass
class NeRFConfig(MethodConfig):
    """Settings shared by the NeRF talking heads (each method's Config sets its defaults and profiles)."""

    device: str = "auto"
    """Torch device: "auto" (CUDA when available), "cpu" or "cuda"."""
    threads: int = 0
    """Torch CPU threads while training and rendering (0: torch's default). The smoke profiles use 1: multi-threaded
    CPU reductions sum in a varying order, and identical ER-NeRF smoke runs gave LMD 0.35, 0.42 and 0.48."""
    iters: int = 100_000
    """Head-stage training steps."""
    lips_iters: int = 25_000
    """Lip fine-tuning steps (LPIPS on the lips' box every other step); 0 skips the stage."""
    torso_iters: int = 200_000
    """Torso-stage training steps (head frozen); 0 skips the torso (the background is used instead)."""
    num_rays: int = 4096 * 16
    """Rays per head-stage step, split over `frames_per_step` frames."""
    torso_num_rays: int = 4096 * 16
    """Rays per torso-stage step."""
    frames_per_step: int = 1
    """Training frames per step (the references use 1)."""
    box_fraction: float = 0.0
    """Share of head-stage rays drawn inside the frame's projected head box (the rest: anywhere in the frame)."""
    lips_fraction: float = 0.0
    """Share of head-stage rays drawn inside the lips' box (taken from the box_fraction share; needs landmarks)."""
    num_steps: int = 16
    """Stratified samples per ray inside the head box."""
    upsample_steps: int = 0
    """Importance samples per ray added after a coarse pass (0: none)."""
    max_ray_batch: int = 4096
    """Rays per chunk when rendering (bounds memory)."""
    min_near: float = 0.05
    """Nearest sample distance from the camera, NeRF units."""
    head_margin: float = 1.1
    """The measured head box is grown by this factor about its centre."""
    occupancy_resolution: int = 128
    """Cells per axis of the occupancy grid over the head box (0: no empty-space skipping)."""
    density_thresh: float = 10.0
    """Occupancy threshold on density (cells occupied above min(mean density, this))."""
    update_extra_interval: int = 16
    """Steps between occupancy-grid updates."""
    occupancy_warmup: int = 256
    """Steps before samples in empty cells start being skipped."""
    lr: float = 1e-2
    """Learning rate of the grid tables."""
    lr_net: float = 1e-3
    """Learning rate of the MLPs, audio network and codes."""
    lr_decay: float = 0.5
    """Learning-rate factor reached at the last step of a stage (exponential decay)."""
    lips_lr_decay: float = 0.05
    """Learning-rate factor reached at the last lip step (continuing from the head stage's step)."""
    optimizer: str = "adamw"
    """"adamw" or "adam"."""
    beta1: float = 0.0
    """Adam beta1."""
    beta2: float = 0.99
    """Adam beta2."""
    adam_eps: float = 1e-8
    """Adam epsilon."""
    grid_weight_decay: float = 0.0
    """Weight decay of the grid tables (AdamW's default 0.01 applies to ER-NeRF's, which set none)."""
    att_lr_factor: float = 5.0
    """The audio attention network's learning rate is lr_net times this."""
    att_weight_decay: float = 0.0
    """Weight decay of the audio attention network."""
    audio_features: str = "log-mel"
    """Audio feature extractor (`talkbench.audio_features.extractors`): "log-mel" (offline default), "hubert", "wav2vec" or
    "deepspeech" (the references' features; need their weights installed, deepspeech also TensorFlow)."""
    n_mels: int = 80
    """Mel bands of the log-mel features (the AudioNet's input channels with audio_features=log-mel;
    the other extractors fix their own)."""
    audio_dim: int = 32
    """Size of the per-frame audio code."""
    attention: bool = True
    """Smooth audio codes over 8 neighbouring frames with AudioAttNet (the references' --att 2)."""
    smooth_lips: bool = False
    """At render, blend each frame's audio code with the previous one's (0.35 / 0.65)."""
    exp_eye: bool = True
    """Condition the head on the eye feature (-O sets --exp_eye)."""
    eye_noise: float = 0.1
    """Width of the uniform noise added to the training eye values (the references: (rand - 0.5) / 10)."""
    audio_fallback: str = ""
    """Extractor used when `audio_features`' weights are not installed, recorded as a fallback ("": none, training fails)."""
    mss: bool = False
    """Denoise the training and driving audio with MSS (`talkbench.methods.enhance.mss`, its defaults) before the features (WildTalker)."""
    mss_noise_from: str = "training"
    """Where MSS takes its noise spectrum: "training" (ours, default: the quietest 0.25 s of the training recording,
    kept in the checkpoint and used for the driving audio too), "quietest" (the driving audio's own quietest 0.25 s)
    or "leading" (the paper's assumption: the audio starts with noise only). A 2 s test split cut mid-sentence has no
    noise-only stretch: denoised on its own, the trained WildTalker's mouth box scored 19.9 dB PSNR on
    synthetic-portrait-wild, against 26.7 dB for the same windows denoised with the recording's noise."""
    expression: str = "eye"
    """Expression input: "eye" (ER-NeRF's eye aspect ratio) or "upper-face" (SyncTalk's 7 brow/eye features, `talkbench.methods.synctalk.expression`)."""
    masked_attention: bool = False
    """SyncTalk's facial-aware masked attention: audio attention penalised outside the lower face (nose tip down),
    expression attention inside it; off: the audio attention outside the face rectangle only (ER-NeRF)."""
    head_stabilizer: bool = False
    """Train and render on the clip's stabilized poses (annotation `head_pose_stabilized`, made by SyncTalk's Head-Sync
    Stabilizer in `bench data prepare --head-stabilizer`) when it has them; the poses used are recorded."""
    temporal_mask: bool = False
    """Weight the torso loss by 1 − M, WildTalker's flow-guided temporal mask (`talkbench.methods.wildtalker.temporal_mask`)."""
    flow_threshold: float = 0.004
    """θ of the temporal mask: flow magnitude per frame as a fraction of the width."""
    neck_fill: bool = False
    """At render, fill the chin–torso gap with the training frames' mean neck colour (SyncTalk's Portrait-Sync Generator)."""
    portrait: bool = False
    """SyncTalk's Portrait mode: blend the rendered face into the driving video's own frames with a blurred face mask
    (`talkbench.methods.synctalk.portrait.portrait_blend`); needs the drive's original frames and is scored as that compositing."""
    ind_dim: int = 4
    """Per-frame latent code size of the head (0: none)."""
    ind_dim_torso: int = 8
    """Per-frame latent code size of the torso (0: none)."""
    loss: str = "mse"
    """Photometric loss: "mse" (the references') or "l1"."""
    lambda_entropy: float = 1e-4
    """Weight of the opacity entropy term."""
    lambda_amb: float = 1e-4
    """Weight of the ambient loss (audio conditioning outside the face), ramped up linearly over the stage."""
    lambda_lpips: float = 0.01
    """Weight of LPIPS on the lips' box in the lip stage."""
    grid_levels: int = 12
    """Head position grid: levels."""
    grid_level_dim: int = 1
    """Head position grid: features per level."""
    grid_base_resolution: int = 64
    """Head position grid: coarsest resolution."""
    grid_log2_hashmap_size: int = 14
    """Head position grid: log2 table rows per level."""
    grid_desired_resolution: int = 512
    """Head position grid: finest resolution (times bound = 1)."""
    torso_grid_levels: int = 16
    """Torso 2D grid: levels."""
    torso_grid_level_dim: int = 2
    """Torso 2D grid: features per level."""
    torso_grid_base_resolution: int = 16
    """Torso 2D grid: coarsest resolution."""
    torso_grid_log2_hashmap_size: int = 16
    """Torso 2D grid: log2 table rows per level."""
    torso_grid_desired_resolution: int = 2048
    """Torso 2D grid: finest resolution."""
    torso_shrink: float = 0.8
    """Torso coordinates are scaled by this before the deformation (room to deform)."""
    log_every: int = 10
    """Steps between rows of curves.csv."""


# ----------------------------------------------------------------------------- geometry


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
        rot = poses[:, :3, :3].astype(np.float64)
        t = poses[:, :3, 3].astype(np.float64)
        rt = np.transpose(rot, (0, 2, 1))
        origin = -np.einsum("tij,tj->ti", rt, t)
        out = np.zeros((len(poses), 4, 4), np.float32)
        out[:, :3, :3] = rt
        out[:, :3, 3] = (origin - np.asarray(self.centre)[None]) / self.scale
        out[:, 3, 3] = 1.0
        return out

    def project_box(self, poses: np.ndarray, fx: float, fy: float, cx: float, cy: float, height: int, width: int) -> np.ndarray:
        """Per frame, the image rectangle [T, 4] (row0, row1, col0, col1; half-open) covering the projected head box."""
        c, h = np.asarray(self.centre), np.asarray(self.half)
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], np.float64)
        corners = c[None] + signs * h[None]  # [8, 3] head frame
        cam = np.einsum("tij,kj->tki", poses[:, :3, :3].astype(np.float64), corners) + poses[:, None, :3, 3]
        z = np.maximum(cam[..., 2], 1e-6)
        u = fx * cam[..., 0] / z + cx
        v = fy * cam[..., 1] / z + cy
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


# ----------------------------------------------------------------------------- the model


def _grid(levels: int, level_dim: int, base: int, log2: int, desired: float, dim: int, grid_type: str = "hash") -> HashGridConfig:
    return HashGridConfig(input_dim=dim, num_levels=levels, level_dim=level_dim, base_resolution=base,
                          log2_hashmap_size=log2, desired_resolution=float(desired), grid_type=grid_type)  # type: ignore[arg-type]


class TalkingNeRF(nn.Module):
    """Audio encoder + head field + per-frame codes + torso + occupancy grid + background, and the data render needs."""

    def __init__(self, kind: str, cfg: NeRFConfig, *, num_train: int, height: int, width: int,
                 device: torch.device | str = "cpu", seed: int = 0, audio_in: tuple[int, int] | None = None) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"TalkingNeRF: kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        gen = torch.Generator().manual_seed(seed)
        # (D, W) of the extractor's windows; log-mel's when not given (checkpoints from before extractors)
        audio_dims, audio_window = audio_in if audio_in is not None else (cfg.n_mels, WINDOW_ROWS)
        self.audio = AudioEncoder(audio_dims, cfg.audio_dim, attention=cfg.attention, win_size=audio_window)
        grid = _grid(cfg.grid_levels, cfg.grid_level_dim, cfg.grid_base_resolution, cfg.grid_log2_hashmap_size,
                     cfg.grid_desired_resolution, dim=2 if kind == "er-nerf" else 3, grid_type="hash" if kind == "er-nerf" else "tiled")
        self.head: HeadField
        if kind == "er-nerf":
            self.head = ERNeRFField(grid, cfg.audio_dim, cfg.ind_dim, use_eye=cfg.exp_eye, device=device,
                                    eye_dim=expression_dim(cfg))
        else:
            if cfg.expression != "eye":
                raise ValueError(f"rad-nerf conditions on the eye value only, not expression={cfg.expression!r}")
            amb = _grid(getattr(cfg, "ambient_grid_levels", 16), getattr(cfg, "ambient_grid_level_dim", 2),
                        getattr(cfg, "ambient_grid_base_resolution", 16), getattr(cfg, "ambient_grid_log2_hashmap_size", 16),
                        getattr(cfg, "ambient_grid_desired_resolution", 2048), dim=2, grid_type="tiled")
            self.head = RADNeRFField(grid, amb, cfg.audio_dim, cfg.ind_dim, use_eye=cfg.exp_eye, device=device)
        self.codes = IndividualCodes(num_train, cfg.ind_dim, generator=gen)
        torso_grid = _grid(cfg.torso_grid_levels, cfg.torso_grid_level_dim, cfg.torso_grid_base_resolution,
                           cfg.torso_grid_log2_hashmap_size, cfg.torso_grid_desired_resolution, dim=2, grid_type="tiled")
        if kind == "er-nerf":
            torso_kw = dict(pose_mode="anchors", coord_octaves=8, pose_octaves=3, deform_hidden=32, torso_hidden=32, color_eps=1e-3)
        else:
            torso_kw = dict(pose_mode="euler", coord_octaves=10, pose_octaves=4, deform_hidden=64, torso_hidden=32, color_eps=0.0)
        self.torso = TorsoField(torso_grid, ind_num=num_train, ind_dim=cfg.ind_dim_torso, shrink=cfg.torso_shrink,
                                device=device, generator=gen, **torso_kw)  # type: ignore[arg-type]
        res = max(int(cfg.occupancy_resolution), 1)
        self.density_thresh = float(cfg.density_thresh)
        self.register_buffer("occupancy", torch.zeros(res, res, res))
        self.register_buffer("background", torch.zeros(height, width, 3))
        self.register_buffer("train_poses", torch.zeros(num_train, 4, 4))
        self.register_buffer("audio_mean", torch.zeros(audio_dims))
        self.register_buffer("audio_std", torch.ones(audio_dims))


# ----------------------------------------------------------------------------- data


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
    lowface_rect: torch.Tensor | None = None
    """int64 [T, 4] the lower face (nose tip down): SyncTalk's masked attention regions."""
    torso_weight: torch.Tensor | None = None
    """uint8 [T, H, W] torso-loss weights × 255 (1 − the temporal mask), or None."""


EXPRESSIONS = {"eye": 1, "upper-face": 7}
"""Expression inputs and their sizes (`NeRFConfig.expression`)."""


def expression_dim(cfg: NeRFConfig) -> int:
    """Size of the expression vector the head is conditioned on."""
    if cfg.expression not in EXPRESSIONS:
        raise ValueError(f"expression must be one of {', '.join(EXPRESSIONS)}, not {cfg.expression!r}")
    return EXPRESSIONS[cfg.expression]


def resolve_audio_features(cfg: NeRFConfig) -> tuple[str, str]:
    """(extractor to use, note): `audio_features`, or `audio_fallback` when the former's weights are not installed."""
    name = cfg.audio_features
    if not cfg.audio_fallback:
        return name, ""
    try:
        audio_encoders.require(name)
    except BenchError as exc:
        return cfg.audio_fallback, f"fallback {cfg.audio_fallback}: {exc}"
    return name, ""


STABILIZED_POSES = "head_pose_stabilized"
"""Annotation of the Head-Sync Stabilizer's poses (`bench data prepare --head-stabilizer`)."""


def pose_annotation(cfg: NeRFConfig, annotations: dict[str, Any]) -> tuple[str, str]:
    """(annotation the head poses are read from, note): the stabilized poses when asked for and present."""
    if not cfg.head_stabilizer:
        return "head_pose", ""
    if STABILIZED_POSES in annotations:
        return STABILIZED_POSES, ""
    return "head_pose", ("head_stabilizer: the clip has no stabilized poses (synthetic cards carry exact ground-truth "
                         "poses; `bench data prepare --head-stabilizer` adds them to prepared videos): head_pose used")


MSS_NOISE_FROM = ("training", "quietest", "leading")
"""Values of `NeRFConfig.mss_noise_from`."""


def noise_reference(audio: np.ndarray, cfg: NeRFConfig, sample_rate: int) -> np.ndarray | None:
    """The training recording's noise sample for MSS (`mss_noise_from="training"`): its quietest stretch, else None."""
    if not cfg.mss or cfg.mss_noise_from != "training":
        return None
    from talkbench.methods.enhance.mss import MSSConfig
    from talkbench.methods.enhance.noise_estimate import quietest_segment_start

    seconds = MSSConfig().noise_seconds
    start = quietest_segment_start(np.asarray(audio, np.float32), sample_rate, seconds)
    return np.asarray(audio[start:start + int(round(seconds * sample_rate))], np.float32)


def conditioned_audio(audio: np.ndarray, cfg: NeRFConfig, sample_rate: int, noise: np.ndarray | None = None) -> np.ndarray:
    """The audio the features are computed from: MSS-denoised when `cfg.mss` (WildTalker), else as given.

    With a `noise` sample (`noise_reference`) MSS runs on [noise ‖ audio] with the paper's leading-frame
    estimate, and the noise part is cut off again: the recording's noise is subtracted from any drive.
    """
    audio = np.asarray(audio, np.float32)
    if not cfg.mss:
        return audio
    if cfg.mss_noise_from not in MSS_NOISE_FROM:
        raise ValueError(f"mss_noise_from must be one of {', '.join(MSS_NOISE_FROM)}, not {cfg.mss_noise_from!r}")
    from talkbench.methods.enhance.mss import MSS, MSSConfig

    if cfg.mss_noise_from == "training":
        if noise is None:
            raise ValueError("mss_noise_from=training needs the training recording's noise sample")
        joined = np.concatenate([np.asarray(noise, np.float32), audio])
        return np.asarray(MSS(MSSConfig(noise_from="leading")).enhance(joined, sample_rate)[len(noise):], np.float32)
    return np.asarray(MSS(MSSConfig(noise_from=cfg.mss_noise_from)).enhance(audio, sample_rate), np.float32)


def lower_face_rects(lms: np.ndarray, height: int, width: int) -> np.ndarray:
    """Per frame [T, 4] (row0, row1, col0, col1): from the nose tip (iBUG 30) down, across the face (SyncTalk's lowface)."""
    rect = rect_of_points(lms, height, width)
    rect[:, 0] = np.clip(np.floor(lms[:, 30, 1]).astype(np.int64), 0, height - 1)
    rect[:, 1] = np.maximum(rect[:, 1], rect[:, 0] + 1)
    return rect


def prepare_clip(clip: Clip, cfg: NeRFConfig, device: torch.device) -> PreparedClip:
    """Check the annotations and turn the training clip into tensors (see the module docstring)."""
    ann = clip.annotations
    missing = [k for k in ("head_pose", "head_mask") if k not in ann]
    if missing:
        raise InputError(f"clip {clip.name}: the NeRF methods need annotations {', '.join(missing)} (head pose and head mask per frame)")
    if "intrinsics" not in clip.meta:
        raise InputError(f"clip {clip.name}: the NeRF methods need clip.meta['intrinsics'] (fx, fy, cx, cy)")
    t, h, w, _ = clip.frames.shape
    head_mask = np.asarray(ann["head_mask"]).astype(bool)
    from talkbench.prepare.preprocess import background_image, clip_intrinsics

    intrinsics = clip_intrinsics(clip)  # scaled when load_dataset resized a prepared clip
    fx, fy, cx, cy = (float(intrinsics[k]) for k in ("fx", "fy", "cx", "cy"))
    extra: dict[str, Any] = {}
    pose_key, pose_note = pose_annotation(cfg, ann)
    poses = np.asarray(ann[pose_key], np.float64)
    extra["poses"] = {"annotation": pose_key, **({"note": pose_note} if pose_note else {})}
    geometry = measure_head(head_mask, poses, fx, fy, cx, cy, cfg.head_margin)
    if "background" in clip.meta:  # prepared/imported clips carry the preprocessing's background
        background = background_image(clip)
    else:
        person = head_mask | np.asarray(ann["torso_mask"]).astype(bool) if "torso_mask" in ann else head_mask
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        person = np.stack([cv2.dilate(m.astype(np.uint8), kernel) for m in person]).astype(bool)
        background = estimate_background(clip.frames, person)

    extractor, fallback = resolve_audio_features(cfg)
    noise = noise_reference(clip.audio, cfg, clip.sample_rate)
    windows, audio_info = audio_encoders.extract(extractor, conditioned_audio(clip.audio, cfg, clip.sample_rate, noise), t,
                                                 clip.fps, clip.sample_rate, n_mels=cfg.n_mels, device=str(device))
    audio_info = {**audio_info, "mss": bool(cfg.mss), **({"fallback": fallback} if fallback else {}),
                  **({"mss_noise": noise.tolist()} if noise is not None else {})}
    if audio_encoders.get_extractor(extractor).normalised:
        mean, std = feature_stats(windows)
        windows = normalise_windows(windows, mean, std)
    else:  # the references feed ASR outputs as they are; identity statistics keep render's path the same
        mean, std = np.zeros(windows.shape[1], np.float32), np.ones(windows.shape[1], np.float32)
    if cfg.expression == "upper-face":
        from talkbench.methods.synctalk.expression import upper_face_features

        eye, eye_source = upper_face_features(clip.frames, ann)
    else:
        eye, eye_source = eye_feature(ann, t)
        eye = eye.reshape(t, 1) if eye is not None else None
    eye_meta: dict[str, Any] = {"source": eye_source, "dims": expression_dim(cfg)}
    if eye is not None and cfg.exp_eye:
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
        lowface_rect = lower_face_rects(lms, h, w)
    else:
        face_rect, lips_rect, lowface_rect = head_rect.copy(), None, head_rect.copy()
    if cfg.masked_attention and "landmarks" not in ann:
        raise InputError(f"clip {clip.name}: masked attention needs landmarks for the lower face: set masked_attention=off")
    torso_weight = None
    if cfg.temporal_mask:
        from talkbench.methods.wildtalker.temporal_mask import TemporalMaskSettings, loss_weights

        weights, extra["temporal_mask"] = loss_weights(clip.frames, head_mask, TemporalMaskSettings(threshold=cfg.flow_threshold))
        torso_weight = torch.from_numpy(np.round(weights * 255).astype(np.uint8)).to(device)  # 1 byte per pixel
    if cfg.neck_fill and "landmarks" in ann and "torso_mask" in ann:
        extra["neck_colour"] = (neck_colour(clip.frames, np.asarray(ann["landmarks"]), ann["torso_mask"]) / 255.0).tolist()
    return PreparedClip(
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
        lowface_rect=torch.from_numpy(lowface_rect).to(device),
        torso_weight=torso_weight,
    )


# ----------------------------------------------------------------------------- rendering rays


@dataclass
class RayBatch:
    """Rays of one or more frames, flattened: NeRF-space origins/directions plus per-ray conditioning."""

    origins: torch.Tensor
    """[N, 3]."""
    directions: torch.Tensor
    """[N, 3] unit."""
    enc_a: torch.Tensor
    """[N, A] audio codes."""
    eye: torch.Tensor | None
    """[N, 1]."""
    ind: torch.Tensor | None
    """[N, ind_dim] head codes."""
    background: torch.Tensor
    """[N, 3] colour behind the head."""


@dataclass
class HeadRender:
    """Per-ray head render."""

    rgb: torch.Tensor
    """[N, 3] composited over the batch's background."""
    accumulation: torch.Tensor
    """[N] opacity."""
    ambient: torch.Tensor
    """[N] weighted ambient magnitude."""
    samples: int
    eye_ambient: torch.Tensor | None = None
    """[N] weighted magnitude of the eye/expression attention (ER-NeRF's field; None otherwise)."""
    """Field evaluations made."""


def occupancy_lookup(model: TalkingNeRF, aabb: torch.Tensor, pts: torch.Tensor) -> torch.Tensor:
    """Per point [..., 3], whether its occupancy cell is occupied (density above min(mean, threshold))."""
    grid = model.occupancy
    res = grid.shape[0]
    lo, hi = aabb[:3], aabb[3:]
    idx = ((pts - lo) / (hi - lo) * res).long().clamp(0, res - 1)
    thresh = min(float(grid.mean()), model.density_thresh)
    return grid[idx[..., 0], idx[..., 1], idx[..., 2]] > thresh


def render_head(model: TalkingNeRF, rays: RayBatch, aabb: torch.Tensor, cfg: NeRFConfig, *, perturb: bool,
                generator: torch.Generator | None, skip_empty: bool) -> HeadRender:
    """Render head rays: stratified (+ importance) samples in the head box, empty cells skipped when asked."""
    n = rays.origins.shape[0]
    dev = rays.origins.device
    rgb = rays.background.clone()
    acc = torch.zeros(n, device=dev)
    amb = torch.zeros(n, device=dev)
    near, far, hit = near_far_from_aabb(rays.origins, rays.directions, aabb, cfg.min_near)
    ids = torch.nonzero(hit & (far > near), as_tuple=False).squeeze(-1)
    if ids.numel() == 0:
        return HeadRender(rgb, acc, amb, 0)
    o, d = rays.origins[ids], rays.directions[ids]
    z = stratified_samples(near[ids], far[ids], cfg.num_steps, perturb=perturb, generator=generator)

    eye_maps: list[torch.Tensor] = []  # the last evaluation's per-sample eye attention, when the field has one

    def evaluate(zs: torch.Tensor, need_grad: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        pts = points_along_rays(o, d, zs)  # [R, S, 3]
        r, s = zs.shape
        if skip_empty:
            keep = occupancy_lookup(model, aabb, pts)
        else:
            keep = torch.ones(r, s, dtype=torch.bool, device=dev)
        sigma = torch.zeros(r, s, device=dev)
        colour = torch.zeros(r, s, 3, device=dev)
        ambient = torch.zeros(r, s, device=dev)
        flat = torch.nonzero(keep.reshape(-1), as_tuple=False).squeeze(-1)
        if flat.numel():
            ray_of = torch.div(flat, s, rounding_mode="floor")
            ray_ids = ids[ray_of]
            with torch.set_grad_enabled(need_grad and torch.is_grad_enabled()):
                out = model.head(pts.reshape(-1, 3)[flat], d[ray_of], rays.enc_a[ray_ids],
                                 rays.ind[ray_ids] if rays.ind is not None else None,
                                 rays.eye[ray_ids] if rays.eye is not None else None)
                sigma = sigma.reshape(-1).index_put((flat,), out.sigma).reshape(r, s)
                colour = colour.reshape(-1, 3).index_put((flat,), out.rgb).reshape(r, s, 3)
                ambient = ambient.reshape(-1).index_put((flat,), out.ambient).reshape(r, s)
                if out.eye_attention is not None:
                    eye_maps[:] = [torch.zeros(r * s, device=dev).index_put((flat,), out.eye_attention).reshape(r, s)]
        return sigma, colour, ambient, int(flat.numel())

    count = 0
    if cfg.upsample_steps > 0:
        with torch.no_grad():
            sigma0, _, _, c0 = evaluate(z, need_grad=False)
            coarse = composite(sigma0, torch.zeros(*sigma0.shape, 3, device=dev), z, far=far[ids])
            z_new = importance_samples(z, coarse.weights, cfg.upsample_steps, deterministic=not perturb, generator=generator)
            z, _ = merge_samples(z, z_new)
        count += c0
    sigma, colour, ambient, c1 = evaluate(z, need_grad=True)
    count += c1
    res = composite(sigma, colour, z, far=far[ids], background=rays.background[ids])
    rgb = rgb.index_put((ids,), res.rgb)
    acc = acc.index_put((ids,), res.accumulation)
    amb = amb.index_put((ids,), (res.weights * ambient).sum(-1))
    eye_amb = None
    if eye_maps and eye_maps[0].shape == res.weights.shape:
        eye_amb = torch.zeros(n, device=dev).index_put((ids,), (res.weights * eye_maps[0]).sum(-1))
    return HeadRender(rgb, acc, amb, count, eye_amb)


# ----------------------------------------------------------------------------- training


def _uniform_int(lo: torch.Tensor, hi: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """`count` integers uniform in [lo, hi) for each row of lo/hi [B] -> [B, count] (CPU draws)."""
    u = torch.rand(lo.shape[0], count, generator=generator)
    return (lo.cpu()[:, None] + (u * (hi - lo).cpu()[:, None]).long()).clamp(max=hi.cpu()[:, None] - 1)


def sample_rays(data: PreparedClip, frames: torch.Tensor, per_frame: int, box_fraction: float,
                generator: torch.Generator, lips_fraction: float = 0.0) -> torch.Tensor:
    """Flat pixel indices [F, per_frame]: `lips_fraction` in the lips' box, up to `box_fraction` in the head box, the rest anywhere."""
    _, h, w, _ = data.frames.shape
    n_box = int(round(per_frame * box_fraction))
    n_lips = int(round(per_frame * lips_fraction)) if data.lips_rect is not None else 0
    n_lips = min(n_lips, per_frame)
    n_head = max(0, n_box - n_lips)
    n_any = per_frame - n_lips - n_head
    parts = []
    for count, rect in ((n_lips, data.lips_rect_t if n_lips else None), (n_head, data.head_rect)):
        if count:
            r = rect[frames].cpu()
            rows = _uniform_int(r[:, 0], r[:, 1], count, generator)
            cols = _uniform_int(r[:, 2], r[:, 3], count, generator)
            parts.append(rows * w + cols)
    if n_any:
        parts.append(torch.randint(0, h * w, (frames.shape[0], n_any), generator=generator))
    return torch.cat(parts, dim=1).to(data.frames.device)


def _frame_rays(data: PreparedClip, c2w: torch.Tensor, pix: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Origins and directions [F * P, 3] of pixel indices [F, P] under camera-to-NeRF transforms [F, 4, 4]."""
    origins, dirs = [], []
    for k in range(pix.shape[0]):
        r = camera_rays(c2w[k], data.intrinsics, h, w, pixel_index=pix[k])
        origins.append(r.origins)
        dirs.append(r.directions)
    return torch.cat(origins), torch.cat(dirs)


def _in_rects(rect: torch.Tensor, pix: torch.Tensor, width: int) -> torch.Tensor:
    """Flat bool [F * P]: whether each of the pixels [F, P] lies in its frame's rectangle [F, 4] (row0, row1, col0, col1)."""
    rows = torch.div(pix, width, rounding_mode="floor")
    cols = pix % width
    return ((rows >= rect[:, 0:1]) & (rows < rect[:, 1:2]) & (cols >= rect[:, 2:3]) & (cols < rect[:, 3:4])).reshape(-1)


def _gather(image: torch.Tensor, frames: torch.Tensor, pix: torch.Tensor) -> torch.Tensor:
    """Values of [T, H, W, C] at (frame, flat pixel) pairs [F], [F, P] -> [F * P, C]."""
    t, h, w, c = image.shape
    flat = image.reshape(t, h * w, c)
    return flat[frames[:, None], pix].reshape(-1, c)


class CurveLog:
    """Rows of curves.csv: stage, step, loss, batch PSNR, learning rate, seconds since the stage began, field evaluations."""

    COLUMNS = ("stage", "step", "loss", "psnr", "lr", "seconds", "samples")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []

    def add(self, **row: Any) -> None:
        """Record one row."""
        self.rows.append(row)

    def write(self) -> None:
        """Write every row so far (the file is rewritten whole)."""
        with open(self.path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.COLUMNS)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})

    def summary(self, stage: str) -> dict[str, Any]:
        """First and last logged loss/PSNR of a stage, and the mean PSNR of its last 10% of rows."""
        rows = [r for r in self.rows if r["stage"] == stage]
        if not rows:
            return {}
        tail = rows[-max(1, len(rows) // 10):]
        return {"first_loss": rows[0]["loss"], "last_loss": rows[-1]["loss"], "first_psnr": rows[0]["psnr"],
                "last_psnr": rows[-1]["psnr"], "tail_mean_psnr": float(np.mean([r["psnr"] for r in tail]))}


def _optimizer(groups: list[dict[str, Any]], cfg: NeRFConfig) -> torch.optim.Optimizer:
    groups = [g for g in groups if any(p.requires_grad for p in g["params"])]
    for g in groups:
        g["params"] = [p for p in g["params"] if p.requires_grad]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, betas=(cfg.beta1, cfg.beta2), eps=cfg.adam_eps, weight_decay=0.0)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, betas=(cfg.beta1, cfg.beta2), eps=cfg.adam_eps)
    raise InputError(f"optimizer must be 'adamw' or 'adam', got {cfg.optimizer!r}")


def head_param_groups(model: TalkingNeRF, cfg: NeRFConfig) -> list[dict[str, Any]]:
    """The references' `get_params` for the head: grids at lr, networks at lr_net, attention at 5 x lr_net."""
    head = model.head
    grids = [p for name, p in head.named_parameters() if name.startswith(("encoder", "encoder_ambient"))]
    grid_ids = {id(p) for p in grids}
    nets = [p for p in head.parameters() if id(p) not in grid_ids]
    groups = [
        {"params": list(model.audio.audio_net.parameters()), "lr": cfg.lr_net, "weight_decay": 0.0},
        {"params": grids, "lr": cfg.lr, "weight_decay": cfg.grid_weight_decay},
        {"params": nets, "lr": cfg.lr_net, "weight_decay": 0.0},
    ]
    if model.audio.audio_att_net is not None:
        groups.append({"params": list(model.audio.audio_att_net.parameters()), "lr": cfg.lr_net * cfg.att_lr_factor,
                       "weight_decay": cfg.att_weight_decay})
    if model.codes.codes is not None:
        groups.append({"params": [model.codes.codes], "lr": cfg.lr_net, "weight_decay": 0.0})
    return groups


def torso_param_groups(model: TalkingNeRF, cfg: NeRFConfig) -> list[dict[str, Any]]:
    """The references' torso `get_params`: the torso grid at lr, its networks, anchors and codes at lr_net."""
    torso = model.torso
    groups = [
        {"params": list(torso.encoder.parameters()), "lr": cfg.lr, "weight_decay": cfg.grid_weight_decay},
        {"params": list(torso.torso_net.parameters()) + list(torso.deform_net.parameters()), "lr": cfg.lr_net, "weight_decay": 0.0},
    ]
    if torso.anchor_points is not None:
        groups.append({"params": [torso.anchor_points], "lr": cfg.lr_net, "weight_decay": 0.0})
    if torso.codes.codes is not None:
        groups.append({"params": [torso.codes.codes], "lr": cfg.lr_net, "weight_decay": 0.0})
    return groups


class _Trainer:
    """State of one training run (model, data, generator, curve log)."""

    def __init__(self, kind: str, cfg: NeRFConfig, clip: Clip, workdir: Path, seed: int) -> None:
        self.device = torch.device(resolve_device(cfg.device))
        self.gen = torch.Generator().manual_seed(seed)
        self.data = prepare_clip(clip, cfg, self.device)
        if cfg.exp_eye and self.data.eye is None:  # nothing to condition the eyes on
            cfg = dataclasses.replace(cfg, exp_eye=False)
        self.kind, self.cfg, self.workdir, self.seed = kind, cfg, workdir, seed
        t, h, w, _ = clip.frames.shape
        self.t, self.h, self.w = t, h, w
        audio_in = (int(self.data.windows.shape[1]), int(self.data.windows.shape[2]))
        self.model = TalkingNeRF(kind, cfg, num_train=t, height=h, width=w, device=self.device, seed=seed,
                                 audio_in=audio_in).to(self.device)
        with torch.no_grad():
            self.model.background.copy_(self.data.background)
            self.model.train_poses.copy_(self.data.poses)
            self.model.audio_mean.copy_(torch.from_numpy(self.data.meta["audio_mean"]))
            self.model.audio_std.copy_(torch.from_numpy(self.data.meta["audio_std"]))
        self.model.torso.set_pose_statistics(self.data.poses)
        self.aabb = torch.tensor(self.data.geometry.aabb, device=self.device)
        self.curves = CurveLog(workdir / CURVES_FILE)
        self.timings: dict[str, float] = {}
        self.samples = 0

    # --- conditioning
    def conditioning(self, frames: torch.Tensor, per_frame: int, train: bool) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Per-ray audio codes, eye values and head codes for `per_frame` rays of each of `frames`."""
        enc_a = self.model.audio(self.data.windows, frames)
        eye = None
        if self.data.eye is not None:
            eye = self.data.eye[frames]
            if train and self.cfg.eye_noise:
                eye = eye + (torch.rand(eye.shape, generator=self.gen).to(self.device) - 0.5) * self.cfg.eye_noise
            eye = eye.repeat_interleave(per_frame, 0)
        ind = self.model.codes(frames)
        ind = ind.repeat_interleave(per_frame, 0) if ind is not None else None
        return enc_a.repeat_interleave(per_frame, 0), eye, ind

    # --- occupancy
    @torch.no_grad()
    def update_occupancy(self, decay: float = 0.95) -> None:
        """The references' density-grid update: a random point per cell, a random training frame's audio and eye."""
        grid = self.model.occupancy
        res = grid.shape[0]
        if self.cfg.occupancy_resolution <= 0:
            return
        frame = torch.randint(0, self.t, (1,), generator=self.gen).to(self.device)
        enc_a = self.model.audio(self.data.windows, frame)
        eye = self.data.eye[frame] if self.data.eye is not None else None
        axis = torch.arange(res, device=self.device, dtype=torch.float32)
        cells = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1).reshape(-1, 3)
        jitter = torch.rand(cells.shape, generator=self.gen).to(self.device)
        lo, hi = self.aabb[:3], self.aabb[3:]
        pts = lo + (cells + jitter) / res * (hi - lo)
        density = torch.empty(pts.shape[0], device=self.device)
        chunk = 65536
        for s in range(0, pts.shape[0], chunk):
            p = pts[s:s + chunk]
            density[s:s + chunk] = self.model.head.density(p, enc_a.expand(p.shape[0], -1),
                                                           eye.expand(p.shape[0], -1) if eye is not None else None)
        grid.copy_(torch.maximum(grid * decay, density.reshape(res, res, res)))

    # --- stages
    def _schedule(self, opt: torch.optim.Optimizer, factor: float) -> None:
        for g in opt.param_groups:
            g["lr"] = g["initial_lr"] * factor

    def _optimise(self, stage: str, opt: torch.optim.Optimizer, count: int, lr_factor: Callable[[int], float],
                  step_fn: Callable[[int, int], tuple[torch.Tensor, float]], *, first_step: int = 0,
                  occupancy: bool = False) -> None:
        """`count` optimiser steps of one stage: schedule, loss, update, curves and progress; times the stage.

        `step_fn(k, step)` gives (loss, batch PSNR) for the stage's k-th step, `step = first_step + k`
        counting from the start of training (the lip stage continues the head stage's count);
        `occupancy` refreshes the occupancy grid every `update_extra_interval` steps first.
        """
        cfg = self.cfg
        t0 = time.perf_counter()
        bar = tqdm(range(count), desc=f"{self.kind} {stage}", unit="step", leave=False, disable=None)
        for k in bar:
            step = first_step + k
            if occupancy and cfg.occupancy_resolution > 0 and step % cfg.update_extra_interval == 0:
                self.update_occupancy()
            self._schedule(opt, lr_factor(step))
            loss, p = step_fn(k, step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if k % cfg.log_every == 0 or k == count - 1:
                self._log(stage, step, float(loss.detach()), p, opt, t0)
                bar.set_postfix(loss=f"{float(loss.detach()):.4f}", psnr=f"{p:.2f}")
        self.timings[stage] = time.perf_counter() - t0

    def _log(self, stage: str, step: int, loss: float, psnr_value: float, opt: torch.optim.Optimizer, t0: float) -> None:
        self.curves.add(stage=stage, step=step, loss=loss, psnr=psnr_value, lr=float(opt.param_groups[0]["lr"]),
                        seconds=time.perf_counter() - t0, samples=self.samples)

    def head_step(self, step: int, iters: int) -> tuple[torch.Tensor, float]:
        """One head-stage step: loss and batch PSNR."""
        cfg = self.cfg
        f = max(1, min(cfg.frames_per_step, cfg.num_rays))
        per = max(1, cfg.num_rays // f)
        frames = torch.randint(0, self.t, (f,), generator=self.gen).to(self.device)
        pix = sample_rays(self.data, frames, per, cfg.box_fraction, self.gen, cfg.lips_fraction)
        origins, dirs = _frame_rays(self.data, self.data.c2w[frames], pix, self.h, self.w)
        target = _gather(self.data.frames, frames, pix).float() / 255.0
        in_head = self.data.head_mask.reshape(self.t, -1)[frames[:, None], pix].reshape(-1)
        background = torch.where(in_head[:, None], self.data.background.reshape(-1, 3)[pix.reshape(-1)], target)
        enc_a, eye, ind = self.conditioning(frames, per, train=True)
        rays = RayBatch(origins, dirs, enc_a, eye, ind, background)
        out = render_head(self.model, rays, self.aabb, cfg, perturb=True, generator=self.gen,
                          skip_empty=cfg.occupancy_resolution > 0 and step >= cfg.occupancy_warmup)
        self.samples += out.samples
        loss = losses.photometric(out.rgb, target, cfg.loss).mean()
        loss = loss + cfg.lambda_entropy * losses.opacity_entropy(out.accumulation)
        if cfg.lambda_amb:
            ramp = min(step / max(iters, 1), 1.0) * cfg.lambda_amb
            if cfg.masked_attention and self.data.lowface_rect is not None:
                # SyncTalk Eq. 4 as its code trains it: lip (audio) attention only in the lower face,
                # expression attention only outside it.
                lower = _in_rects(self.data.lowface_rect[frames], pix, self.w)
                loss = loss + ramp * losses.ambient_loss(out.ambient, lower)
                if out.eye_ambient is not None:
                    loss = loss + ramp * (out.eye_ambient * lower.to(out.eye_ambient.dtype)).mean()
            else:
                face = _in_rects(self.data.face_rect[frames], pix, self.w)
                loss = loss + ramp * losses.ambient_loss(out.ambient, face)
        return loss, losses.psnr(out.rgb, target)

    def lips_step(self, lpips_model: Any) -> tuple[torch.Tensor, float]:
        """One lip step: the whole lips box of a random frame, MSE + lambda_lpips * LPIPS."""
        cfg = self.cfg
        assert self.data.lips_rect is not None
        frame = int(torch.randint(0, self.t, (1,), generator=self.gen))
        r0, r1, c0, c1 = (int(v) for v in self.data.lips_rect[frame])
        rows, cols = torch.meshgrid(torch.arange(r0, r1), torch.arange(c0, c1), indexing="ij")
        pix = (rows * self.w + cols).reshape(1, -1).to(self.device)
        frames = torch.tensor([frame], device=self.device)
        origins, dirs = _frame_rays(self.data, self.data.c2w[frames], pix, self.h, self.w)
        target = _gather(self.data.frames, frames, pix).float() / 255.0
        in_head = self.data.head_mask.reshape(self.t, -1)[frames[:, None], pix].reshape(-1)
        background = torch.where(in_head[:, None], self.data.background.reshape(-1, 3)[pix.reshape(-1)], target)
        enc_a, eye, ind = self.conditioning(frames, pix.shape[1], train=True)
        out = render_head(self.model, RayBatch(origins, dirs, enc_a, eye, ind, background), self.aabb, cfg,
                          perturb=True, generator=self.gen, skip_empty=cfg.occupancy_resolution > 0)
        self.samples += out.samples
        loss = losses.photometric(out.rgb, target, cfg.loss).mean()
        shape = (1, r1 - r0, c1 - c0, 3)
        loss = loss + cfg.lambda_lpips * losses.lpips_patches(lpips_model, out.rgb.reshape(shape), target.reshape(shape))
        return loss, losses.psnr(out.rgb, target)

    def train_head(self) -> None:
        """Head stage, then (when LPIPS is available) the lip stage."""
        cfg = self.cfg
        opt = _optimizer(head_param_groups(self.model, cfg), cfg)
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        iters = max(cfg.iters, 0)
        self.model.train()
        self._optimise("head", opt, iters, lambda step: cfg.lr_decay ** (step / max(iters, 1)),
                       lambda k, step: self.head_step(step, iters), occupancy=True)
        self.lips_reason = self.train_lips(opt, iters)
        if cfg.occupancy_resolution > 0 and iters > 0:
            self.update_occupancy()

    def train_lips(self, opt: torch.optim.Optimizer, head_iters: int) -> str:
        """The lip stage; returns why it was skipped, or "" when it ran."""
        cfg = self.cfg
        if cfg.lips_iters <= 0:
            return "lips_iters = 0"
        if self.data.lips_rect is None:
            return "no landmarks annotation to locate the lips"
        model, reason = losses.load_lpips(self.device)
        if model is None:
            return f"LPIPS unavailable: {reason}"
        total = head_iters + cfg.lips_iters
        # the references alternate: a lips-box step with LPIPS, then an ordinary step
        self._optimise("lips", opt, cfg.lips_iters, lambda step: cfg.lips_lr_decay ** (step / max(total, 1)),
                       lambda k, step: self.lips_step(model) if k % 2 == 0 else self.head_step(step, total),
                       first_step=head_iters, occupancy=True)
        return ""

    def torso_step(self, step: int, iters: int) -> tuple[torch.Tensor, float]:
        """One torso-stage step over random pixels: frozen head over (torso over background) vs the frame."""
        cfg = self.cfg
        f = max(1, min(cfg.frames_per_step, cfg.torso_num_rays))
        per = max(1, cfg.torso_num_rays // f)
        frames = torch.randint(0, self.t, (f,), generator=self.gen).to(self.device)
        pix = torch.randint(0, self.h * self.w, (f, per), generator=self.gen).to(self.device)
        target = _gather(self.data.frames, frames, pix).float() / 255.0
        coords = pixel_coords(pix.reshape(-1), self.h, self.w).to(self.device)
        pose_code = self.model.torso.pose_code(self.data.poses[frames]).repeat_interleave(per, 0)
        tcode = self.model.torso.codes(frames)
        tcode = tcode.repeat_interleave(per, 0) if tcode is not None else None
        alpha, colour, _ = self.model.torso(coords, pose_code, tcode)
        bg = self.model.background.reshape(-1, 3)[pix.reshape(-1)]
        behind = colour * alpha + bg * (1 - alpha)
        with torch.no_grad():
            origins, dirs = _frame_rays(self.data, self.data.c2w[frames], pix, self.h, self.w)
            enc_a, eye, ind = self.conditioning(frames, per, train=False)
            zeros = torch.zeros_like(bg)
            head = render_head(self.model, RayBatch(origins, dirs, enc_a, eye, ind, zeros), self.aabb, cfg,
                               perturb=False, generator=None, skip_empty=cfg.occupancy_resolution > 0)
            self.samples += head.samples
        pred = head.rgb + (1 - head.accumulation)[:, None] * behind
        per_ray = losses.photometric(pred, target, cfg.loss)
        if self.data.torso_weight is not None:  # WildTalker Eq. 6: transient pixels de-emphasised
            per_ray = per_ray * self.data.torso_weight.reshape(self.t, -1)[frames[:, None], pix].reshape(-1).float() / 255.0
        loss = per_ray.mean()
        loss = loss + self.model.torso.anchor_loss() + cfg.lambda_entropy * torso_entropy(alpha)
        return loss, losses.psnr(pred, target)

    def train_torso(self) -> None:
        """Torso stage (head, audio and codes frozen)."""
        cfg = self.cfg
        iters = max(cfg.torso_iters, 0)
        if iters == 0:
            return
        for name, p in self.model.named_parameters():
            p.requires_grad_(name.startswith("torso."))
        opt = _optimizer(torso_param_groups(self.model, cfg), cfg)
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        self._optimise("torso", opt, iters, lambda step: cfg.lr_decay ** (step / max(iters, 1)),
                       lambda k, step: self.torso_step(step, iters))
        for p in self.model.parameters():
            p.requires_grad_(True)


def checkpoint_config(kind: str, cfg: NeRFConfig, data: PreparedClip, height: int, width: int, num_train: int,
                      fps: float, torso_trained: bool) -> dict[str, Any]:
    """Plain data stored in the checkpoint: what `load_model` needs to rebuild the model."""
    return {
        "kind": kind,
        "method_config": cfg.to_dict(),
        "geometry": data.geometry.to_dict(),
        "intrinsics": list(data.intrinsics),
        "height": height,
        "width": width,
        "num_train": num_train,
        "fps": fps,
        "eye": data.meta["eye"],
        "audio": data.meta["audio"],
        "torso_trained": torso_trained,
        **{k: data.meta[k] for k in ("poses", "temporal_mask", "neck_colour") if k in data.meta},
    }


def train_model(kind: str, cfg: NeRFConfig, clip: Clip, workdir: Path, seed: int) -> Checkpoint:
    """Train head (+ lips) and torso on the training clip; write model.pt and curves.csv into `workdir`."""
    audio_encoders.require(resolve_audio_features(cfg)[0])  # missing weights or packages: fail before any work
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    tr = _Trainer(kind, cfg, clip, workdir, seed)
    prep = time.perf_counter() - t0
    tr.train_head()
    tr.train_torso()
    tr.curves.write()
    cfg = tr.cfg
    config = checkpoint_config(kind, cfg, tr.data, tr.h, tr.w, tr.t, clip.fps, cfg.torso_iters > 0)
    config["lips"] = {"ran": tr.lips_reason == "", "skipped_because": tr.lips_reason}
    save_checkpoint(workdir / CHECKPOINT_FILE, tr.model, None, step=cfg.iters + cfg.lips_iters + cfg.torso_iters, config=config)
    meta: dict[str, Any] = {
        "checkpoint": CHECKPOINT_FILE,
        "curves": CURVES_FILE,
        "device": str(tr.device),
        "seconds": {"prepare": round(prep, 3), **{k: round(v, 3) for k, v in tr.timings.items()}},
        "field_evaluations": tr.samples,
        "stages": {s: tr.curves.summary(s) for s in ("head", "lips", "torso") if tr.curves.summary(s)},
        "lips": "ran" if tr.lips_reason == "" else f"skipped: {tr.lips_reason}",
        "head_box_m": tr.data.geometry.to_dict(),
        "audio_features": {k: v for k, v in tr.data.meta["audio"].items() if k != "mss_noise"},
        "eye": tr.data.meta["eye"]["source"] if cfg.exp_eye else "off",
        **{k: tr.data.meta[k] for k in ("poses", "temporal_mask") if k in tr.data.meta},
    }
    return Checkpoint(path=workdir, meta=meta)


# ----------------------------------------------------------------------------- rendering


def load_model(path: Path, config_cls: type[NeRFConfig], device: str = "auto") -> tuple[TalkingNeRF, NeRFConfig, dict[str, Any]]:
    """Rebuild a trained model from its checkpoint file."""
    state = load_checkpoint(path)  # validates the file before we build anything
    saved = state.config
    try:
        known = {f.name for f in fields(config_cls)}
        cfg = config_cls(**{k: v for k, v in saved["method_config"].items() if k in known})
        kind = str(saved["kind"])
        dev = torch.device(resolve_device(device if device != "auto" else cfg.device))
        audio = saved.get("audio")
        audio_in = (int(audio["dims"]), int(audio["window"])) if audio else None
        model = TalkingNeRF(kind, cfg, num_train=int(saved["num_train"]), height=int(saved["height"]),
                            width=int(saved["width"]), device=dev, audio_in=audio_in)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"checkpoint {path} has an unusable config: {type(exc).__name__}: {exc}") from None
    load_checkpoint(path, model)
    model.to(dev)
    model.eval()
    return model, cfg, saved


def drive_windows(saved: dict[str, Any], cfg: NeRFConfig, drive: Drive, device: str = "cpu") -> np.ndarray:
    """The driving audio's windows [T, D, W] by the extractor the checkpoint was trained with (same weights digest)."""
    trained = saved.get("audio") or {"name": "log-mel", "weights_sha256": None}
    name = str(trained["name"])
    audio_encoders.require(name)
    noise = np.asarray(trained["mss_noise"], np.float32) if trained.get("mss_noise") is not None else None
    audio = conditioned_audio(drive.audio, cfg, drive.sample_rate, noise) if trained.get("mss") else drive.audio
    windows, info = audio_encoders.extract(name, audio, int(drive.num_frames), drive.fps, drive.sample_rate,
                                           n_mels=cfg.n_mels, device=device)
    if info["weights_sha256"] != trained.get("weights_sha256"):
        raise InputError(f"the checkpoint was trained on {name} features from weights sha256 "
                         f"{str(trained.get('weights_sha256'))[:12]}…, the installed {info['weights']} are "
                         f"{str(info['weights_sha256'])[:12]}…: reinstall those weights or retrain")
    return windows


@torch.no_grad()
def render_drive(path: Path, config_cls: type[NeRFConfig], drive: Drive, device: str = "auto") -> Video:
    """Render `drive.num_frames` frames from the driving audio and head poses (training poses replayed, mirrored, when absent)."""
    model, cfg, saved = load_model(path, config_cls, device)
    dev = model.background.device
    h, w = int(saved["height"]), int(saved["width"])
    geometry = HeadGeometry.from_dict(saved["geometry"])
    intr = tuple(saved["intrinsics"])
    n = int(drive.num_frames)
    if drive.poses is not None:
        poses = np.asarray(drive.poses, np.float64)
        if poses.shape != (n, 4, 4):
            raise InputError(f"drive poses must be [{n}, 4, 4], got {poses.shape}")
    else:  # the references replay the training poses back and forth for novel audio
        train = model.train_poses.cpu().numpy().astype(np.float64)
        period = np.concatenate([np.arange(len(train)), np.arange(len(train))[::-1]])
        poses = train[period[np.arange(n) % len(period)]]
    windows = drive_windows(saved, cfg, drive, str(dev))
    windows = normalise_windows(windows, model.audio_mean.cpu().numpy(), model.audio_std.cpu().numpy())
    win = torch.from_numpy(windows).to(dev)
    enc_all = torch.cat([model.audio(win, torch.arange(s, min(n, s + 256), device=dev)) for s in range(0, n, 256)])
    if cfg.smooth_lips:  # RAD-NeRF's test-time smoothing of the audio code
        for i in range(1, n):
            enc_all[i] = 0.35 * enc_all[i - 1] + 0.65 * enc_all[i]
    if cfg.portrait and (drive.original_frames is None or len(drive.original_frames) != n
                         or tuple(drive.original_frames.shape[1:3]) != (h, w)):
        raise InputError(f"portrait compositing needs the drive's original frames at {w}x{h} (self-driven tests only): "
                         "set portrait=off to render the full frame")
    eye_value = torch.tensor(np.atleast_1d(np.asarray(saved["eye"].get("render_value", 0.0), np.float32)), device=dev)
    neck = np.asarray(saved["neck_colour"], np.float32) if cfg.neck_fill and saved.get("neck_colour") else None
    c2w = torch.from_numpy(geometry.camera_to_nerf(poses)).to(dev)
    poses_t = torch.from_numpy(poses.astype(np.float32)).to(dev)
    rect = geometry.project_box(poses, intr[0], intr[1], intr[2] - 0.5, intr[3] - 0.5, h, w)
    aabb = torch.tensor(geometry.aabb, device=dev)
    coords_all = pixel_coords(torch.arange(h * w, device=dev), h, w)
    background = model.background.reshape(-1, 3)
    tcode = model.torso.codes.test_code(1)
    icode = model.codes.test_code(1)
    out = np.empty((n, h, w, 3), np.uint8)
    chunk = max(1, int(cfg.max_ray_batch))
    for i in tqdm(range(n), desc=f"render {saved['kind']}", unit="frame", leave=False, disable=None):
        # torso over background, every pixel
        torso_alpha = torch.zeros(h * w, device=dev)
        if saved.get("torso_trained", True):
            pose_code = model.torso.pose_code(poses_t[i:i + 1])
            behind = torch.empty(h * w, 3, device=dev)
            for s in range(0, h * w, chunk):
                e = min(h * w, s + chunk)
                alpha, colour, _ = model.torso(coords_all[s:e], pose_code.expand(e - s, -1),
                                               tcode.expand(e - s, -1) if tcode is not None else None)
                behind[s:e] = colour * alpha + background[s:e] * (1 - alpha)
                torso_alpha[s:e] = alpha.reshape(-1)
        else:
            behind = background.clone()
        # head over it, inside the projected head box
        r0, r1, c0, c1 = (int(v) for v in rect[i])
        rows, cols = torch.meshgrid(torch.arange(r0, r1, device=dev), torch.arange(c0, c1, device=dev), indexing="ij")
        pix = (rows * w + cols).reshape(-1)
        image = behind.clone()
        head_alpha = torch.zeros(h * w, device=dev)
        for s in range(0, pix.numel(), chunk):
            p = pix[s:s + chunk]
            r = camera_rays(c2w[i], intr, h, w, pixel_index=p)
            m = p.numel()
            rays = RayBatch(r.origins, r.directions, enc_all[i:i + 1].expand(m, -1),
                            eye_value.expand(m, -1) if cfg.exp_eye else None,
                            icode.expand(m, -1) if icode is not None else None, behind[p])
            res = render_head(model, rays, aabb, cfg, perturb=False, generator=None,
                              skip_empty=cfg.occupancy_resolution > 0)
            image[p] = res.rgb
            head_alpha[p] = res.accumulation
        frame = image.clamp(0, 1).reshape(h, w, 3).cpu().numpy()
        if neck is not None:
            frame = fill_neck_gap(frame, head_alpha.reshape(h, w).cpu().numpy(), torso_alpha.reshape(h, w).cpu().numpy(), neck)
        out[i] = (frame * 255.0 + 0.5).astype(np.uint8)
        if cfg.portrait:
            out[i] = portrait_blend(out[i], np.asarray(drive.original_frames[i]), head_alpha.reshape(h, w).cpu().numpy())
    return Video(frames=out, fps=drive.fps, audio=drive.audio, sample_rate=drive.sample_rate)
