"""`ERNeRFModel`: ER-NeRF's tri-plane head with region-aware attention and the anchor-posed deformable torso."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from talkbench.methods.er_nerf.config import ERNeRFConfig
from talkbench.methods.er_nerf.field import ERNeRFField
from talkbench.methods.nerf.fields import HeadField
from talkbench.methods.nerf.model import TalkingHeadModel


class ERNeRFModel(TalkingHeadModel):
    """ER-NeRF: tri-plane hash head gating audio and eye by region attention; torso posed through three anchors."""

    Config: ClassVar[type[ERNeRFConfig]] = ERNeRFConfig
    head_dims: ClassVar[int] = 2

    def field_class(self) -> type[ERNeRFField]:
        """The head field class (a variant's field subclasses it)."""
        return ERNeRFField

    def build_head(self, device: torch.device | str) -> HeadField:
        """The tri-plane head field, conditioned on the model's expression input."""
        cfg = self.cfg
        return self.field_class()(cfg.head.grid.encoding(self.head_dims, "hash"), cfg.audio.dim, cfg.head.ind_dim,
                                  use_eye=cfg.head.exp_eye, device=device, eye_dim=self.expression_dim())

    def torso_layout(self) -> dict[str, Any]:
        """ER-NeRF's torso: pose code from three learnt anchor points, 8/3 frequency octaves, 32-wide MLPs."""
        return dict(pose_mode="anchors", coord_octaves=8, pose_octaves=3, deform_hidden=32, torso_hidden=32, color_eps=1e-3)
