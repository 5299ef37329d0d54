"""The parts every audio-conditioned head field shares: MLPs, the density/colour heads, codes, SH directions.

A head field maps a point x (head frame, in [-bound, bound]^3), a view direction d, the frame's audio
code a, its eye value e and a per-frame latent ("individual code") c to a density and a colour:

    h = encoder(x, a, e)                 # the subclass's `encode`
    sigma, geo = sigma_net(h)            # MLP, 3 layers x 64, out 1 + 64; sigma = exp(.)
    rgb = colour_net(SH4(d), geo, c)     # MLP, 2 layers x 64, sigmoid

Subclasses supply the encoder: ER-NeRF's tri-plane with region attention (`talkbench.methods.er_nerf.field`),
RAD-NeRF's 3D grid with an audio-spatial ambient grid (`talkbench.methods.rad_nerf.field`).

The colour MLP sees the view direction as degree-4 real spherical harmonics (16 values, the
references' `spherical_harmonics` encoder) and the frame's individual code (4 values; at test
time the references use the code of frame 0, which `IndividualCodes.test_code` returns).
Linear layers have no bias, as the references' `MLP`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """Bias-free linear layers with ReLU between them (the references' MLP)."""

    def __init__(self, dim_in: int, dim_out: int, dim_hidden: int, num_layers: int) -> None:
        super().__init__()
        dims = [dim_in] + [dim_hidden] * (num_layers - 1) + [dim_out]
        self.net = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[..., dim_in] -> [..., dim_out]."""
        for i, layer in enumerate(self.net):
            x = layer(x)
            if i < len(self.net) - 1:
                x = F.relu(x)
        return x


class _TruncExp(torch.autograd.Function):
    """exp(x) whose gradient uses exp(min(x, 15)) (torch-ngp's `trunc_exp`, used by RAD-NeRF)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return torch.exp(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * torch.exp(x.clamp(max=15))


def trunc_exp(x: torch.Tensor) -> torch.Tensor:
    """exp with a gradient clamped at exp(15)."""
    return _TruncExp.apply(x)


def sh_encode(d: torch.Tensor) -> torch.Tensor:
    """Real spherical harmonics of degree < 4 (16 values) of unit directions [..., 3]."""
    x, y, z = d.unbind(-1)
    xx, yy, zz = x * x, y * y, z * z
    return torch.stack([
        torch.full_like(x, 0.28209479177387814),
        -0.48860251190291987 * y, 0.48860251190291987 * z, -0.48860251190291987 * x,
        1.0925484305920792 * x * y, -1.0925484305920792 * y * z, 0.94617469575755997 * zz - 0.31539156525251999,
        -1.0925484305920792 * x * z, 0.54627421529603959 * (xx - yy),
        0.59004358992664352 * y * (yy - 3 * xx), 2.8906114426405538 * x * y * z,
        0.45704579946446572 * y * (1 - 5 * zz), 0.3731763325901154 * z * (5 * zz - 3),
        0.45704579946446572 * x * (1 - 5 * zz), 1.4453057213202769 * z * (xx - yy),
        0.59004358992664352 * x * (3 * yy - xx),
    ], dim=-1)


SH_DIM = 16
"""Output size of `sh_encode`."""


class IndividualCodes(nn.Module):
    """A learnt latent per training frame (`individual_codes`, init N(0, 0.1^2)); frame 0's at test."""

    def __init__(self, num: int, dim: int, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.dim = dim
        self.codes = nn.Parameter(torch.randn(max(num, 1), dim, generator=generator) * 0.1) if dim > 0 else None

    def forward(self, frames: torch.Tensor) -> torch.Tensor | None:
        """Codes [B, dim] of training frames (None when dim == 0)."""
        return None if self.codes is None else self.codes[frames]

    def test_code(self, count: int) -> torch.Tensor | None:
        """The code used for unseen frames (frame 0's, as the references), repeated [count, dim]."""
        return None if self.codes is None else self.codes[:1].expand(count, -1)


@dataclass
class FieldOutput:
    """Per-sample outputs of a head field."""

    sigma: torch.Tensor
    """[N] density."""
    rgb: torch.Tensor
    """[N, 3] colour in [0, 1] (slightly beyond for ER-NeRF's eps)."""
    ambient: torch.Tensor
    """[N] magnitude of the audio conditioning at the point (for the "static outside the face" loss)."""
    eye_attention: torch.Tensor | None = None
    """[N] ER-NeRF's eye attention (None for RAD-NeRF)."""


class HeadField(nn.Module, ABC):
    """Shared density and colour MLPs; subclasses supply `encode` (the spatial + audio + eye encoding)."""

    in_dim: int

    def __init__(self, *, cond_dim: int, ind_dim: int, geo_feat_dim: int = 64, hidden_dim: int = 64, num_layers: int = 3,
                 hidden_dim_color: int = 64, num_layers_color: int = 2, bound: float = 1.0, color_eps: float = 0.0,
                 density: str = "exp") -> None:
        super().__init__()
        self.bound = bound
        self.color_eps = color_eps
        self.density_activation = density
        self.geo_feat_dim = geo_feat_dim
        self.sigma_net = MLP(cond_dim, 1 + geo_feat_dim, hidden_dim, num_layers)
        self.color_net = MLP(SH_DIM + geo_feat_dim + ind_dim, 3, hidden_dim_color, num_layers_color)

    @abstractmethod
    def encode(self, x: torch.Tensor, enc_a: torch.Tensor, eye: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(input of sigma_net [N, cond_dim], ambient magnitude [N], eye attention [N] or None)."""

    def _sigma(self, h: torch.Tensor) -> torch.Tensor:
        return trunc_exp(h) if self.density_activation == "trunc_exp" else torch.exp(h)

    def density(self, x: torch.Tensor, enc_a: torch.Tensor, eye: torch.Tensor | None) -> torch.Tensor:
        """Densities [N] of points [N, 3] with per-point audio codes [N, A] and eye values [N, 1]."""
        h, _, _ = self.encode(x, enc_a, eye)
        return self._sigma(self.sigma_net(h)[..., 0])

    def forward(self, x: torch.Tensor, d: torch.Tensor, enc_a: torch.Tensor, ind: torch.Tensor | None,
                eye: torch.Tensor | None) -> FieldOutput:
        """Density, colour and conditioning magnitudes of points [N, 3] seen along unit directions [N, 3]."""
        h, ambient, eye_att = self.encode(x, enc_a, eye)
        out = self.sigma_net(h)
        sigma = self._sigma(out[..., 0])
        parts = [sh_encode(d), out[..., 1:]]
        if ind is not None:
            parts.append(ind)
        rgb = torch.sigmoid(self.color_net(torch.cat(parts, dim=-1)))
        if self.color_eps:
            rgb = rgb * (1 + 2 * self.color_eps) - self.color_eps
        return FieldOutput(sigma=sigma, rgb=rgb, ambient=ambient, eye_attention=eye_att)
