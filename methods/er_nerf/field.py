"""ER-NeRF's head field: a tri-plane hash of the position and region-aware attention on the audio and eye inputs.

ER-NeRF (`nerf_triplane/network.py`): the tri-plane hash of x (three 2D grids, 12 levels x 1
feature each, concatenated) is the spatial feature f; "region-aware attention" gates the audio
code channel-wise by `aud_ch_att_net(f)` (MLP 2 x 64 -> audio dim) and the eye value by
`sigmoid(eye_att_net(f))` (MLP 2 x 16 -> 1): h = [f, a * att_a(f), e * att_e(f)]. The
per-sample attention magnitudes are returned for the ambient losses.
"""

from __future__ import annotations

import torch
from torch import nn

from talkbench.methods.nerf.fields import MLP, HeadField
from talkbench.methods.nerf.hash_grid import HashGridConfig
from talkbench.methods.nerf.triplane import TriPlaneHash


class ERNeRFField(HeadField):
    """ER-NeRF's head: tri-plane hash + region-aware attention on the audio and eye features."""

    def __init__(self, plane: HashGridConfig, audio_dim: int, ind_dim: int, use_eye: bool = True, bound: float = 1.0,
                 device: torch.device | str | None = None, eye_dim: int = 1, **mlp: int) -> None:
        encoder = TriPlaneHash(plane, device=device)
        super().__init__(cond_dim=encoder.output_dim + audio_dim + (eye_dim if use_eye else 0), ind_dim=ind_dim,
                         bound=bound, color_eps=1e-3, density="exp", **mlp)
        self.encoder = encoder
        self.use_eye = use_eye
        self.eye_dim = eye_dim
        self.aud_ch_att_net = MLP(encoder.output_dim, audio_dim, 64, 2)
        self.eye_att_net = self.expression_attention(encoder.output_dim)

    def expression_attention(self, dim_in: int) -> nn.Module:
        """The network gating the eye value by the spatial feature: MLP 2 x 16 -> 1 (a sigmoid gate)."""
        return MLP(dim_in, 1, 16, 2)

    def expression_gate(self, enc_x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(per-sample gate [N, E] of the expression input, its magnitude [N] for the ambient losses)."""
        gate = torch.sigmoid(self.eye_att_net(enc_x))
        return gate, gate[..., 0]

    def encode(self, x, enc_a, eye):  # noqa: D102 (documented on the base class)
        enc_x = self.encoder(x, bound=self.bound)
        att = self.aud_ch_att_net(enc_x)
        parts = [enc_x, enc_a * att]
        eye_att = None
        if self.use_eye:
            gate, eye_att = self.expression_gate(enc_x)
            parts.append(eye * gate)
        return torch.cat(parts, dim=-1), att.norm(dim=-1), eye_att
