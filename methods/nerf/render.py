"""Rendering the head: rays through the head box, samples along them (occupied cells only), composited colour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from talkbench.methods.nerf.config import SamplingConfig
from talkbench.methods.nerf.rays import importance_samples, merge_samples, near_far_from_aabb, points_along_rays, stratified_samples
from talkbench.methods.nerf.volume_rendering import composite

if TYPE_CHECKING:
    from talkbench.methods.nerf.model import TalkingHeadModel


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
    """Field evaluations made."""
    eye_ambient: torch.Tensor | None = None
    """[N] weighted magnitude of the eye/expression attention (ER-NeRF's field; None otherwise)."""


def occupancy_lookup(model: "TalkingHeadModel", aabb: torch.Tensor, pts: torch.Tensor) -> torch.Tensor:
    """Per point [..., 3], whether its occupancy cell is occupied (density above min(mean, threshold))."""
    grid = model.occupancy
    res = grid.shape[0]
    lo, hi = aabb[:3], aabb[3:]
    idx = ((pts - lo) / (hi - lo) * res).long().clamp(0, res - 1)
    thresh = min(float(grid.mean()), model.density_thresh)
    return grid[idx[..., 0], idx[..., 1], idx[..., 2]] > thresh


def render_head(model: "TalkingHeadModel", rays: RayBatch, aabb: torch.Tensor, sampling: SamplingConfig, *, perturb: bool,
                generator: torch.Generator | None, skip_empty: bool) -> HeadRender:
    """Render head rays: stratified (+ importance) samples in the head box, empty cells skipped when asked."""
    n = rays.origins.shape[0]
    dev = rays.origins.device
    rgb = rays.background.clone()
    acc = torch.zeros(n, device=dev)
    amb = torch.zeros(n, device=dev)
    near, far, hit = near_far_from_aabb(rays.origins, rays.directions, aabb, sampling.min_near)
    ids = torch.nonzero(hit & (far > near), as_tuple=False).squeeze(-1)
    if ids.numel() == 0:
        return HeadRender(rgb, acc, amb, 0)
    o, d = rays.origins[ids], rays.directions[ids]
    z = stratified_samples(near[ids], far[ids], sampling.num_steps, perturb=perturb, generator=generator)

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
    if sampling.upsample_steps > 0:
        with torch.no_grad():
            sigma0, _, _, c0 = evaluate(z, need_grad=False)
            coarse = composite(sigma0, torch.zeros(*sigma0.shape, 3, device=dev), z, far=far[ids])
            z_new = importance_samples(z, coarse.weights, sampling.upsample_steps, deterministic=not perturb, generator=generator)
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
