"""Rays (methods/nerf/rays.py): camera rays, box intersection, sampling and pixel subsets."""

from __future__ import annotations

import math

import pytest
import torch

from talkbench.methods.nerf.rays import (
    camera_rays,
    gather_pixels,
    importance_samples,
    merge_samples,
    near_far_from_aabb,
    opengl_to_opencv,
    points_along_rays,
    sample_pdf,
    sample_pixels,
    stratified_samples,
)


def _rotation(axis: list[float], angle: float) -> torch.Tensor:
    k = torch.tensor(axis, dtype=torch.float64)
    k = k / k.norm()
    kx = torch.tensor([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]], dtype=torch.float64)
    return torch.eye(3, dtype=torch.float64) + math.sin(angle) * kx + (1 - math.cos(angle)) * kx @ kx


def test_central_ray_follows_the_viewing_axis() -> None:
    c2w = torch.eye(4, dtype=torch.float64)
    c2w[:3, :3] = _rotation([0.3, -1.0, 0.5], 0.7)
    c2w[:3, 3] = torch.tensor([0.2, -0.1, 1.5])
    height = width = 5
    rays = camera_rays(c2w, (4.0, 4.0, 2.5, 2.5), height, width)
    assert rays.directions.shape == (25, 3) and rays.origins.shape == (25, 3)
    torch.testing.assert_close(rays.directions.norm(dim=-1), torch.ones(25, dtype=torch.float64))
    centre = 2 * width + 2
    torch.testing.assert_close(rays.directions[centre], c2w[:3, 2])  # OpenCV: +z looks forward
    torch.testing.assert_close(rays.origins[centre], c2w[:3, 3])
    right, below = centre + 1, centre + width
    assert rays.directions[right] @ c2w[:3, 0] > 0  # +x to the right
    assert rays.directions[below] @ c2w[:3, 1] > 0  # +y down
    # batched poses and a pixel subset
    batch = camera_rays(torch.stack([c2w, c2w]), torch.tensor([4.0, 4.0, 2.5, 2.5]), height, width, torch.tensor([centre]))
    assert batch.directions.shape == (2, 1, 3)
    torch.testing.assert_close(batch.directions[1, 0], c2w[:3, 2])
    gl = opengl_to_opencv(c2w)
    torch.testing.assert_close(gl[:3, 1:3], -c2w[:3, 1:3])
    torch.testing.assert_close(gl[:3, [0, 3]], c2w[:3, [0, 3]])


def test_aabb_intersection() -> None:
    box = [-1, -1, -1, 1, 1, 1]
    s3 = 1 / math.sqrt(3)
    origins = torch.tensor([[0, 0, -3], [0, 0, 0], [-3, -3, -3], [1, 0, -3], [0, 3, -3], [0, 0, 3]], dtype=torch.float32)
    dirs = torch.tensor([[0, 0, 1], [1, 0, 0], [s3, s3, s3], [0, 0, 1], [0, 0, 1], [0, 0, 1]], dtype=torch.float32)
    near, far, hit = near_far_from_aabb(origins, dirs, box, min_near=0.05)
    assert hit.tolist() == [True, True, True, True, False, False]  # grazing a face hits; the box behind misses
    want_near = [2.0, 0.05, 2 * math.sqrt(3), 2.0]
    want_far = [4.0, 1.0, 4 * math.sqrt(3), 4.0]
    torch.testing.assert_close(near[:4], torch.tensor(want_near))
    torch.testing.assert_close(far[:4], torch.tensor(want_far))
    assert torch.all(near[4:] == far[4:])  # misses get an empty interval
    # ER-NeRF's rectangular training box: half height in y
    n2, f2, h2 = near_far_from_aabb(torch.tensor([[0.0, -3.0, 0.0]]), torch.tensor([[0.0, 1.0, 0.0]]), [-1, -0.5, -1, 1, 0.5, 1])
    assert h2.item() and n2.item() == pytest.approx(2.5) and f2.item() == pytest.approx(3.5)


def test_stratified_and_importance_sampling() -> None:
    near = torch.tensor([0.5, 2.0, 1.0])
    far = torch.tensor([1.5, 4.0, 1.0])
    z = stratified_samples(near, far, 8, perturb=True, generator=torch.Generator().manual_seed(0))
    assert z.shape == (3, 8)
    assert torch.all(z[:, 1:] >= z[:, :-1])
    assert torch.all(z >= near[:, None]) and torch.all(z <= far[:, None])
    again = stratified_samples(near, far, 8, perturb=True, generator=torch.Generator().manual_seed(0))
    assert torch.equal(z, again)
    centres = stratified_samples(near, far, 4)
    torch.testing.assert_close(centres[0], torch.tensor([0.625, 0.875, 1.125, 1.375]))
    pts = points_along_rays(torch.zeros(3, 3), torch.tensor([[0.0, 0.0, 1.0]] * 3), centres)
    assert pts.shape == (3, 4, 3) and torch.equal(pts[..., 2], centres)

    bins = torch.linspace(0, 1, 5).expand(2, 5).contiguous()  # 4 bins of width 0.25
    weights = torch.tensor([[0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    s = sample_pdf(bins, weights, 64, generator=torch.Generator().manual_seed(0))
    assert s.shape == (2, 64)
    inside = ((s[0] >= 0.5) & (s[0] <= 0.75)).float().mean()
    assert inside > 0.95
    det = sample_pdf(bins, weights, 4, deterministic=True)
    torch.testing.assert_close(det[1], torch.tensor([0.125, 0.375, 0.625, 0.875]), atol=1e-4, rtol=0)

    coarse = torch.linspace(0, 1, 9).expand(2, 9).contiguous()
    w = torch.zeros(2, 9)
    w[:, 4] = 1.0
    new = importance_samples(coarse, w, 16, deterministic=True)
    assert new.shape == (2, 16) and not new.requires_grad
    assert torch.all((new > 0.4) & (new < 0.6))
    merged, order = merge_samples(coarse, new)
    assert merged.shape == (2, 25) and torch.all(merged[:, 1:] >= merged[:, :-1])
    torch.testing.assert_close(torch.cat([coarse, new], -1).gather(-1, order), merged)


def test_pixel_subsets_gather_ground_truth() -> None:
    height, width = 6, 8
    image = torch.arange(height * width, dtype=torch.float32).reshape(height, width, 1).expand(height, width, 3)
    assert torch.equal(sample_pixels(height, width, "all"), torch.arange(48))
    rnd = sample_pixels(height, width, "random", 20, generator=torch.Generator().manual_seed(0))
    assert rnd.shape == (20,) and rnd.min() >= 0 and rnd.max() < 48
    assert torch.equal(rnd, sample_pixels(height, width, "random", 20, generator=torch.Generator().manual_seed(0)))
    torch.testing.assert_close(gather_pixels(image, rnd)[:, 0], rnd.float())
    patches = sample_pixels(height, width, "patch", 2 * 9, patch_size=3, generator=torch.Generator().manual_seed(1))
    p = patches.view(2, 3, 3)
    rows, cols = p // width, p % width
    assert torch.all(rows[:, 1:, :] - rows[:, :-1, :] == 1) and torch.all(cols[:, :, 1:] - cols[:, :, :-1] == 1)
    assert rows.max() < height and cols.max() < width
    # rays for the same indices line up with the gathered pixels
    rays = camera_rays(torch.eye(4), (5.0, 5.0, 4.0, 3.0), height, width, patches)
    full = camera_rays(torch.eye(4), (5.0, 5.0, 4.0, 3.0), height, width)
    torch.testing.assert_close(rays.directions, full.directions[patches])
    with pytest.raises(ValueError):
        sample_pixels(height, width, "patch", 4, patch_size=3)
