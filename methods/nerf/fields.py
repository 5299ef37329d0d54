"""The audio-conditioned head fields of ER-NeRF and RAD-NeRF: shared MLPs, different encoders.

Both map a point x (head frame, in [-bound, bound]^3), a view direction d, the frame's audio
code a, its eye value e and a per-frame latent ("individual code") c to a density and a colour:

    h = encoder(x, a, e)                 # method-specific (below)
    sigma, geo = sigma_net(h)            # MLP, 3 layers x 64, out 1 + 64; sigma = exp(.)
    rgb = colour_net(SH4(d), geo, c)     # MLP, 2 layers x 64, sigmoid

ER-NeRF (`nerf_triplane/network.py`): the tri-plane hash of x (three 2D grids, 12 levels x 1
feature each, concatenated) is the spatial feature f; "region-aware attention" gates the audio
code channel-wise by `aud_ch_att_net(f)` (MLP 2 x 64 -> audio dim) and the eye value by
`sigmoid(eye_att_net(f))` (MLP 2 x 16 -> 1): h = [f, a * att_a(f), e * att_e(f)]. The
per-sample attention magnitudes are returned for the ambient losses.

RAD-NeRF (`nerf/network.py`), "decomposed audio-spatial encoding": a 3D grid of x gives f;
`ambient_net([f, a])` (MLP 3 x 64 -> 2, tanh) maps the point and the audio to a 2D "ambient"
coordinate, which a separate 2D grid encodes: h = [f, grid2d(ambient), e]. The ambient
coordinate's magnitude is returned for RAD-NeRF's ambient loss.

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

from talkbench.methods.nerf.hash_grid import HashGridConfig, make_hash_grid
from talkbench.methods.nerf.triplane import HashGrid3D, TriPlaneHash


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
        # ER-NeRF: one eye value gated by sigmoid(MLP 2 x 16); SyncTalk's expression vector: an unbounded
        # per-channel attention (MLP 2 x 64, network.py eye_att_net with bs_area "upper").
        self.eye_att_net = MLP(encoder.output_dim, 1, 16, 2) if eye_dim == 1 else MLP(encoder.output_dim, eye_dim, 64, 2)

    def encode(self, x, enc_a, eye):  # noqa: D102 (documented on the base class)
        enc_x = self.encoder(x, bound=self.bound)
        att = self.aud_ch_att_net(enc_x)
        parts = [enc_x, enc_a * att]
        eye_att = None
        if self.use_eye:
            if self.eye_dim == 1:
                gate = torch.sigmoid(self.eye_att_net(enc_x))
                parts.append(eye * gate)
                eye_att = gate[..., 0]
            else:
                gate = self.eye_att_net(enc_x)
                parts.append(eye * gate)
                eye_att = gate.norm(dim=-1)
        return torch.cat(parts, dim=-1), att.norm(dim=-1), eye_att


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
