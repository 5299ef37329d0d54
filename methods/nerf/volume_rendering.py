"""Volume rendering: alpha compositing of per-sample densities and colours along rays.

For samples at depths z_0 < ... < z_{S-1} on a ray with densities sigma_i and colours c_i:
alpha_i = 1 - exp(-sigma_i * delta_i), T_i = prod_{j<i} (1 - alpha_j + 1e-10) (an exclusive
cumulative product; the 1e-10 is NeRF's guard against a zero product), weights w_i = alpha_i * T_i,
colour = sum w_i c_i + (1 - sum w_i) * background, depth = sum w_i z_i, accumulation = sum w_i.

Delta convention: delta_i = z_{i+1} - z_i, and the last sample's delta is the distance to
the far bound, `far - z_{S-1}`, when `far` is given (the ray segment left inside the box;
torch-ngp's CUDA marcher likewise never steps past far), else 1e10 as in the original NeRF
(the last sample stands for everything behind it, so an opaque last sample hides the background).
Depth is the weighted sum of raw depths, not divided by the accumulation (as torch-ngp).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

EPS = 1e-10
"""Added to (1 - alpha) in the transmittance product (NeRF's `raw2outputs`)."""

LAST_DELTA = 1e10
"""Length of the last sample's interval when no far bound is given (NeRF's convention)."""


@dataclass
class RenderResult:
    """Per-ray outputs of `composite`."""

    rgb: torch.Tensor
    """[R, 3] colour, background blended in by (1 - accumulation)."""
    depth: torch.Tensor
    """[R] expected depth sum_i w_i z_i (not normalised by the accumulation)."""
    accumulation: torch.Tensor
    """[R] opacity sum_i w_i, in [0, 1]."""
    weights: torch.Tensor
    """[R, S] per-sample weights alpha_i * T_i."""


def deltas_from_depths(z: torch.Tensor, far: torch.Tensor | float | None = None) -> torch.Tensor:
    """Interval lengths [R, S]: z_{i+1} - z_i, and far - z_last (clamped at 0) or 1e10 for the last sample."""
    if far is None:
        last = torch.full_like(z[..., :1], LAST_DELTA)
    else:
        far_t = torch.as_tensor(far, dtype=z.dtype, device=z.device)
        last = (far_t.reshape(-1, 1) if far_t.ndim > 0 else far_t.expand_as(z[..., :1])) - z[..., -1:]
        last = last.clamp(min=0)
    return torch.cat([z[..., 1:] - z[..., :-1], last], dim=-1)


def alpha_from_density(sigma: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """alpha = 1 - exp(-sigma * delta), the opacity of each sample's interval."""
    # -expm1(-x) is 1 - exp(-x) without cancellation when sigma * delta is tiny.
    return -torch.expm1(-sigma * deltas)


def transmittance(alpha: torch.Tensor) -> torch.Tensor:
    """T_i = prod_{j<i} (1 - alpha_j + 1e-10): the light reaching sample i (exclusive cumprod, T_0 = 1)."""
    ones = torch.ones_like(alpha[..., :1])
    return torch.cumprod(torch.cat([ones, 1 - alpha + EPS], dim=-1), dim=-1)[..., :-1]


def render_weights(sigma: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """Per-sample weights alpha_i * T_i [R, S] from densities and interval lengths."""
    alpha = alpha_from_density(sigma, deltas)
    return alpha * transmittance(alpha)


def composite(
    sigma: torch.Tensor,
    rgb: torch.Tensor,
    z: torch.Tensor,
    deltas: torch.Tensor | None = None,
    far: torch.Tensor | float | None = None,
    background: torch.Tensor | float | None = None,
) -> RenderResult:
    """Render rays from densities [R, S], colours [R, S, 3] and depths [R, S] (sorted along each ray).

    `deltas` defaults to `deltas_from_depths(z, far)`. `background` is a scalar, a colour [3],
    or a per-ray colour [R, 3] (e.g. pixels of a background image); None means black.
    """
    if sigma.shape != z.shape or rgb.shape[:-1] != z.shape:
        raise ValueError(f"composite: shapes sigma {tuple(sigma.shape)}, rgb {tuple(rgb.shape)}, z {tuple(z.shape)} disagree")
    if deltas is None:
        deltas = deltas_from_depths(z, far)
    weights = render_weights(sigma, deltas)
    accumulation = weights.sum(dim=-1)
    color = (weights.unsqueeze(-1) * rgb).sum(dim=-2)
    if background is not None:
        bg = torch.as_tensor(background, dtype=color.dtype, device=color.device)
        color = color + (1 - accumulation).unsqueeze(-1) * bg
    depth = (weights * z).sum(dim=-1)
    return RenderResult(rgb=color, depth=depth, accumulation=accumulation, weights=weights)
