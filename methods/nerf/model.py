"""`TalkingHeadModel`: the base every NeRF talking head subclasses (nerfstudio's Model, for talking heads).

A model composes the engine's components (audio encoder, a head field, per-frame codes, the deformable torso,
the occupancy grid, the background) and hands the trainer and renderer what they need through hooks, so the
engine names no method:

* data: `audio_extractor` (which features), `audio_frontend` (what the audio passes through first),
  `expression` (the expression input per frame), `pose_annotation`, `prepare_extras` (method-only tensors);
* build: `build_head`, `torso_layout` (the subclass picks its field and torso);
* training: `param_groups(stage)`, `head_loss_terms` / `ambient_terms`, `torso_ray_weights`, `callbacks()`;
* rendering: `post_processes(saved, drive)` (neck fill, portrait blend, paste-back);
* checkpoint: `checkpoint_extras(data)` (what render needs beyond the weights).

The model's variants are subclasses: `SyncTalkModel(ERNeRFModel)` overrides the expression, the ambient terms
and the post-processes; `WildTalkerModel(SyncTalkModel)` the audio front end and the torso ray weights.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from torch import nn

from talkbench import audio_features as audio_encoders
from talkbench.core.types import Clip, Drive
from talkbench.methods.nerf import losses
from talkbench.methods.nerf.audio import WINDOW_ROWS, AudioEncoder, eye_feature
from talkbench.methods.nerf.config import NeRFConfig
from talkbench.methods.nerf.fields import HeadField, IndividualCodes
from talkbench.methods.nerf.occupancy import OccupancyUpdate
from talkbench.methods.nerf.sampling import in_rects
from talkbench.methods.nerf.torso import TorsoField

if TYPE_CHECKING:
    from talkbench.methods.nerf.data import PreparedClip
    from talkbench.methods.nerf.postprocess import PostProcess
    from talkbench.methods.nerf.render import HeadRender
    from talkbench.methods.nerf.trainer import TrainingCallback


class TalkingHeadModel(nn.Module):
    """Audio encoder + head field + per-frame codes + torso + occupancy grid + background, built from a config."""

    Config: ClassVar[type[NeRFConfig]] = NeRFConfig
    head_dims: ClassVar[int] = 3
    """Input dimensions of the head's position grid: 2 for a tri-plane's planes, 3 for a volume."""

    def __init__(self, cfg: NeRFConfig) -> None:
        super().__init__()
        self.cfg = cfg

    # ------------------------------------------------------------------ data hooks (before `build`)
    def audio_extractor(self) -> tuple[str, str]:
        """(extractor the audio features come from, a note when it is a fallback)."""
        return self.cfg.audio_features, ""

    def noise_reference(self, audio: np.ndarray, sample_rate: int) -> np.ndarray | None:
        """What of the training recording the audio front end keeps for rendering (None: nothing)."""
        return None

    def audio_frontend(self, audio: np.ndarray, sample_rate: int, noise: np.ndarray | None = None) -> np.ndarray:
        """The audio the features are computed from (identity; a denoising front end overrides it)."""
        return np.asarray(audio, np.float32)

    def expression_dim(self) -> int:
        """Size of the expression vector the head is conditioned on (the eye value: 1)."""
        return 1

    def expression(self, clip: Clip) -> tuple[np.ndarray | None, str]:
        """Per-frame expression values [T, E] and where they came from: the eye value (`audio.eye_feature`)."""
        eye, source = eye_feature(clip.annotations, clip.num_frames)
        return (eye.reshape(clip.num_frames, 1) if eye is not None else None), source

    def pose_annotation(self, annotations: dict[str, Any]) -> tuple[str, str]:
        """(annotation the head poses are read from, a note)."""
        return "head_pose", ""

    def prepare_extras(self, clip: Clip, data: "PreparedClip") -> None:
        """Add method-only tensors to `data.extras` and facts to `data.meta` (nothing here)."""

    # ------------------------------------------------------------------ build
    @abstractmethod
    def build_head(self, device: torch.device | str) -> HeadField:
        """The head field of this model."""

    @abstractmethod
    def torso_layout(self) -> dict[str, Any]:
        """Keyword arguments of `TorsoField` that make this model's torso (pose code, encodings, widths)."""

    def build(self, *, num_train: int, height: int, width: int, device: torch.device | str = "cpu", seed: int = 0,
              audio_in: tuple[int, int] | None = None) -> "TalkingHeadModel":
        """Create the modules and buffers (the order of creation fixes the random initialisation)."""
        cfg = self.cfg
        gen = torch.Generator().manual_seed(seed)
        audio_dims, audio_window = audio_in if audio_in is not None else (cfg.audio.n_mels, WINDOW_ROWS)
        self.audio = AudioEncoder(audio_dims, cfg.audio.dim, attention=cfg.audio.attention, win_size=audio_window)
        self.head = self.build_head(device)
        self.codes = IndividualCodes(num_train, cfg.head.ind_dim, generator=gen)
        self.torso = TorsoField(cfg.torso.grid.encoding(2, "tiled"), ind_num=num_train, ind_dim=cfg.torso.ind_dim,
                                shrink=cfg.torso.shrink, device=device, generator=gen, **self.torso_layout())
        res = max(int(cfg.occupancy.resolution), 1)
        self.density_thresh = float(cfg.occupancy.density_thresh)
        self.register_buffer("occupancy", torch.zeros(res, res, res))
        self.register_buffer("background", torch.zeros(height, width, 3))
        self.register_buffer("train_poses", torch.zeros(num_train, 4, 4))
        self.register_buffer("audio_mean", torch.zeros(audio_dims))
        self.register_buffer("audio_std", torch.ones(audio_dims))
        return self

    # ------------------------------------------------------------------ training hooks
    def param_groups(self, stage: str) -> list[dict[str, Any]]:
        """Optimiser groups of a stage ("head" and "lips" share the head's, "torso" the torso's): the references'
        `get_params`: grids at lr, networks at lr_net, the audio attention at att_lr_factor x lr_net."""
        opt = self.cfg.optim
        if stage == "torso":
            torso = self.torso
            groups = [
                {"params": list(torso.encoder.parameters()), "lr": opt.lr, "weight_decay": opt.grid_weight_decay},
                {"params": list(torso.torso_net.parameters()) + list(torso.deform_net.parameters()), "lr": opt.lr_net,
                 "weight_decay": 0.0},
            ]
            if torso.anchor_points is not None:
                groups.append({"params": [torso.anchor_points], "lr": opt.lr_net, "weight_decay": 0.0})
            if torso.codes.codes is not None:
                groups.append({"params": [torso.codes.codes], "lr": opt.lr_net, "weight_decay": 0.0})
            return groups
        grids = [p for name, p in self.head.named_parameters() if name.startswith(("encoder", "encoder_ambient"))]
        grid_ids = {id(p) for p in grids}
        nets = [p for p in self.head.parameters() if id(p) not in grid_ids]
        groups = [
            {"params": list(self.audio.audio_net.parameters()), "lr": opt.lr_net, "weight_decay": 0.0},
            {"params": grids, "lr": opt.lr, "weight_decay": opt.grid_weight_decay},
            {"params": nets, "lr": opt.lr_net, "weight_decay": 0.0},
        ]
        if self.audio.audio_att_net is not None:
            groups.append({"params": list(self.audio.audio_att_net.parameters()), "lr": opt.lr_net * opt.att_lr_factor,
                           "weight_decay": opt.att_weight_decay})
        if self.codes.codes is not None:
            groups.append({"params": [self.codes.codes], "lr": opt.lr_net, "weight_decay": 0.0})
        return groups

    def head_loss_terms(self, out: "HeadRender", target: torch.Tensor, data: "PreparedClip", frames: torch.Tensor,
                        pix: torch.Tensor, step: int, iters: int) -> list[torch.Tensor]:
        """The head stage's loss terms, summed in this order: photometric, opacity entropy, ambient (ramped up)."""
        cfg = self.cfg.loss
        terms = [losses.photometric(out.rgb, target, cfg.photometric).mean(),
                 cfg.lambda_entropy * losses.opacity_entropy(out.accumulation)]
        if cfg.lambda_amb:
            ramp = min(step / max(iters, 1), 1.0) * cfg.lambda_amb
            terms += self.ambient_terms(out, data, frames, pix, ramp)
        return terms

    def ambient_terms(self, out: "HeadRender", data: "PreparedClip", frames: torch.Tensor, pix: torch.Tensor,
                      ramp: float) -> list[torch.Tensor]:
        """The audio conditioning kept small outside the face rectangle (the references' ambient loss)."""
        width = data.frames.shape[2]
        face = in_rects(data.face_rect[frames], pix, width)
        return [ramp * losses.ambient_loss(out.ambient, face)]

    def torso_ray_weights(self, data: "PreparedClip", frames: torch.Tensor, pix: torch.Tensor) -> torch.Tensor | None:
        """Per-ray weights [F * P] of the torso loss (None: all rays count alike)."""
        return None

    def callbacks(self) -> list["TrainingCallback"]:
        """Training callbacks: the occupancy grid's update rule (when the grid is on)."""
        return [OccupancyUpdate()] if self.cfg.occupancy.resolution > 0 else []

    # ------------------------------------------------------------------ rendering and checkpoint hooks
    def post_processes(self, saved: dict[str, Any], drive: Drive) -> list["PostProcess"]:
        """What is done to each rendered frame after compositing (nothing here)."""
        return []

    def checkpoint_extras(self, data: "PreparedClip") -> dict[str, Any]:
        """Facts render needs beyond the weights (stored in the checkpoint's config)."""
        return {k: data.meta[k] for k in ("poses",) if k in data.meta}

    def audio_state(self, noise: np.ndarray | None) -> dict[str, Any]:
        """What the audio front end records in the checkpoint for rendering (nothing here)."""
        return {}

    def drive_audio(self, saved_audio: dict[str, Any], drive: Drive) -> np.ndarray:
        """The driving audio as the features are computed from it (the front end with the training state)."""
        return drive.audio

    def require_audio(self) -> None:
        """Fail before any work when the audio extractor's weights or packages are missing."""
        audio_encoders.require(self.audio_extractor()[0])
