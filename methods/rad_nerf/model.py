"""`RADNeRFModel`: RAD-NeRF's 3D-grid head with the decomposed audio-spatial encoding and the Euler-posed torso."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from talkbench.methods.nerf.fields import HeadField
from talkbench.methods.nerf.model import TalkingHeadModel
from talkbench.methods.rad_nerf.config import RADNeRFConfig
from talkbench.methods.rad_nerf.field import RADNeRFField


class RADNeRFModel(TalkingHeadModel):
    """RAD-NeRF: 3D grid head with an ambient (audio-spatial) grid; torso posed by Euler angles and translation."""

    Config: ClassVar[type[RADNeRFConfig]] = RADNeRFConfig
    head_dims: ClassVar[int] = 3

    def build_head(self, device: torch.device | str) -> HeadField:
        """The 3D tiled grid head and its 2D ambient grid."""
        cfg = self.cfg
        return RADNeRFField(cfg.head.grid.encoding(self.head_dims, "tiled"), cfg.ambient_grid.encoding(2, "tiled"),
                            cfg.audio.dim, cfg.head.ind_dim, use_eye=cfg.head.exp_eye, device=device)

    def torso_layout(self) -> dict[str, Any]:
        """RAD-NeRF's torso: pose code from Euler angles and translation, 10/4 frequency octaves, 64-wide deformation."""
        return dict(pose_mode="euler", coord_octaves=10, pose_octaves=4, deform_hidden=64, torso_hidden=32, color_eps=0.0)
