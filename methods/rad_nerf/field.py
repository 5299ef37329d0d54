"""RAD-NeRF's head field: a 3D grid of the position and a decomposed audio-spatial ("ambient") encoding.

RAD-NeRF (`nerf/network.py`), "decomposed audio-spatial encoding": a 3D grid of x gives f;
`ambient_net([f, a])` (MLP 3 x 64 -> 2, tanh) maps the point and the audio to a 2D "ambient"
coordinate, which a separate 2D grid encodes: h = [f, grid2d(ambient), e]. The ambient
coordinate's magnitude is returned for RAD-NeRF's ambient loss.
"""

from __future__ import annotations

import torch

from talkbench.methods.nerf.fields import MLP, HeadField
from talkbench.methods.nerf.hash_grid import HashGridConfig, make_hash_grid
from talkbench.methods.nerf.triplane import HashGrid3D


class RADNeRFField(HeadField):
    """RAD-NeRF's head: 3D grid of x, audio-spatial ambient coordinate encoded by a separate 2D grid."""

    def __init__(self, grid: HashGridConfig, ambient_grid: HashGridConfig, audio_dim: int, ind_dim: int,
                 use_eye: bool = True, ambient_dim: int = 2, bound: float = 1.0, device: torch.device | str | None = None,
                 hidden_dim_ambient: int = 64, num_layers_ambient: int = 3, **mlp: int) -> None:
        encoder = HashGrid3D(grid, device=device)
        if ambient_grid.input_dim != ambient_dim:
            raise ValueError(f"RADNeRFField: ambient grid input_dim {ambient_grid.input_dim} != ambient_dim {ambient_dim}")
        encoder_ambient = make_hash_grid(ambient_grid, device=device)
        super().__init__(cond_dim=encoder.output_dim + encoder_ambient.output_dim + (1 if use_eye else 0), ind_dim=ind_dim,
                         bound=bound, color_eps=0.0, density="trunc_exp", **mlp)
        self.encoder = encoder
        self.encoder_ambient = encoder_ambient
        self.use_eye = use_eye
        self.ambient_net = MLP(encoder.output_dim + audio_dim, ambient_dim, hidden_dim_ambient, num_layers_ambient)

    def encode(self, x, enc_a, eye):  # noqa: D102 (documented on the base class)
        enc_x = self.encoder(x, bound=self.bound)
        ambient = torch.tanh(self.ambient_net(torch.cat([enc_x, enc_a], dim=-1)))
        enc_w = self.encoder_ambient(ambient, bound=1.0)
        parts = [enc_x, enc_w] + ([eye] if self.use_eye else [])
        return torch.cat(parts, dim=-1), ambient.abs().sum(dim=-1), None
