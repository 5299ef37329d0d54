"""Volume rendering (methods/nerf/volume_rendering.py) against a loop reference."""

from __future__ import annotations

import math

import pytest
import torch

from talkbench.methods.nerf.rays import near_far_from_aabb, stratified_samples
from talkbench.methods.nerf.volume_rendering import composite, deltas_from_depths


def reference_render(
    sigma: torch.Tensor, rgb: torch.Tensor, z: torch.Tensor, far: torch.Tensor | None, bg: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Front-to-back compositing with a running transmittance, one ray and sample at a time."""
    rays, steps = z.shape
    out_rgb = torch.zeros(rays, 3, dtype=torch.float64)
    out_depth = torch.zeros(rays, dtype=torch.float64)
    out_acc = torch.zeros(rays, dtype=torch.float64)
    for r in range(rays):
        trans = 1.0
        for i in range(steps):
            delta = (z[r, i + 1] - z[r, i]) if i + 1 < steps else (max(far[r] - z[r, i], 0.0) if far is not None else 1e10)
            alpha = 1 - math.exp(-float(sigma[r, i]) * float(delta))
            w = alpha * trans
            out_rgb[r] += w * rgb[r, i]
            out_depth[r] += w * z[r, i]
            out_acc[r] += w
            trans *= 1 - alpha + 1e-10
        out_rgb[r] += (1 - out_acc[r]) * bg[r]
    return out_rgb, out_depth, out_acc


def test_single_opaque_sample_and_empty_space() -> None:
    colour = torch.tensor([[[0.2, 0.4, 0.6]]])
    res = composite(torch.tensor([[1e4]]), colour, torch.tensor([[1.0]]), far=2.0, background=1.0)
    torch.testing.assert_close(res.rgb, colour[:, 0])
    torch.testing.assert_close(res.accumulation, torch.tensor([1.0]))
    torch.testing.assert_close(res.depth, torch.tensor([1.0]))

    z = torch.linspace(1, 2, 6).expand(3, 6)
    bg_image = torch.tensor([[0.1, 0.2, 0.3], [0.9, 0.8, 0.7], [0.0, 1.0, 0.0]])
    empty = composite(torch.zeros(3, 6), torch.rand(3, 6, 3), z, background=bg_image)
    torch.testing.assert_close(empty.rgb, bg_image)
    assert torch.all(empty.accumulation == 0) and torch.all(empty.depth == 0)
    grey = composite(torch.zeros(3, 6), torch.rand(3, 6, 3), z, background=torch.tensor([0.5, 0.5, 0.5]))
    torch.testing.assert_close(grey.rgb, torch.full((3, 3), 0.5))


@pytest.mark.parametrize("use_far", [True, False])
def test_composite_matches_loop_reference(use_far: bool) -> None:
    gen = torch.Generator().manual_seed(0)
    rays, steps = 5, 7
    near = torch.rand(rays, generator=gen, dtype=torch.float64) + 0.5
    far = near + 1 + torch.rand(rays, generator=gen, dtype=torch.float64)
    z = stratified_samples(near, far, steps, perturb=True, generator=gen)
    sigma = torch.rand(rays, steps, generator=gen, dtype=torch.float64) * 3
    sigma[0] = 0
    sigma[1, 3] = 1e3  # an opaque sample mid-ray
    rgb = torch.rand(rays, steps, 3, generator=gen, dtype=torch.float64)
    bg = torch.rand(rays, 3, generator=gen, dtype=torch.float64)
    res = composite(sigma, rgb, z, far=far if use_far else None, background=bg)
    want_rgb, want_depth, want_acc = reference_render(sigma, rgb, z, far if use_far else None, bg)
    torch.testing.assert_close(res.rgb, want_rgb)
    torch.testing.assert_close(res.depth, want_depth)
    torch.testing.assert_close(res.accumulation, want_acc)
    torch.testing.assert_close(res.weights.sum(-1), res.accumulation)
    assert torch.all(res.accumulation <= 1 + 1e-6) and torch.all(res.weights >= 0)
    deltas = deltas_from_depths(z, far if use_far else None)
    assert torch.all(deltas >= 0)


def test_missed_rays_render_background() -> None:
    near, far, hit = near_far_from_aabb(torch.tensor([[0.0, 3.0, -3.0]]), torch.tensor([[0.0, 0.0, 1.0]]), [-1, -1, -1, 1, 1, 1])
    assert not hit.item()
    z = stratified_samples(near, far, 4)
    res = composite(torch.full((1, 4), 50.0), torch.zeros(1, 4, 3), z, far=far, background=0.7)
    torch.testing.assert_close(res.rgb, torch.full((1, 3), 0.7))
