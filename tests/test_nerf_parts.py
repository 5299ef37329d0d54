"""Tests of the shared NeRF building blocks in methods/nerf (hash grid, tri-plane, rays, rendering, checkpoints)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from talkbench.core.errors import BenchError, InputError
from talkbench.methods.nerf.checkpoint import load_checkpoint, save_checkpoint
from talkbench.methods.nerf.hash_grid import (
    HashGrid,
    HashGridConfig,
    TcnnHashGrid,
    level_infos,
    make_hash_grid,
    tcnn_available,
    tcnn_encoding_config,
)
from talkbench.methods.nerf.rays import (
    camera_rays,
    gather_pixels,
    importance_samples,
    merge_samples,
    near_far_from_aabb,
    points_along_rays,
    opengl_to_opencv,
    sample_pdf,
    sample_pixels,
    stratified_samples,
)
from talkbench.methods.nerf.triplane import HashGrid3D, TriPlaneHash, er_nerf_plane_config, rad_nerf_grid_config
from talkbench.methods.nerf.volume_rendering import composite, deltas_from_depths

# ----------------------------------------------------------------------------- hash grid reference

_PRIMES = (1, 2654435761, 805459861)


def reference_encode(points: np.ndarray, table: np.ndarray, cfg: HashGridConfig, bound: float) -> np.ndarray:
    """torch-ngp's gridencoder kernel, one point, level and corner at a time, in plain Python."""
    dim, levels, feats, base = cfg.input_dim, cfg.num_levels, cfg.level_dim, cfg.base_resolution
    if cfg.desired_resolution is not None:
        pls = float(np.exp2(np.log2(cfg.desired_resolution / base) / (levels - 1)))
    else:
        pls = cfg.per_level_scale
    # grid.py: table rows per level
    offsets = [0]
    for lvl in range(levels):
        res = int(np.ceil(base * pls**lvl))
        rows = min(2**cfg.log2_hashmap_size, (res if cfg.align_corners else res + 1) ** dim)
        offsets.append(offsets[-1] + int(np.ceil(rows / 8) * 8))
    log2_pls = np.float32(np.log2(pls))
    out = np.zeros((len(points), levels * feats))
    for n, p in enumerate(points):
        x = [np.float32((np.float32(v) + np.float32(bound)) / np.float32(2 * bound)) for v in p]
        if any(v < 0 or v > 1 for v in x):
            continue  # the kernel writes zeros for points outside [0, 1]
        for lvl in range(levels):
            hashmap = offsets[lvl + 1] - offsets[lvl]
            scale = np.float32(np.exp2(np.float32(lvl) * log2_pls)) * np.float32(base) - np.float32(1.0)
            resolution = int(math.ceil(scale)) + 1
            side = resolution if cfg.align_corners else resolution + 1
            pos, cell = [], []
            for d in range(dim):
                q = np.float32(x[d] * scale) + np.float32(0.0 if cfg.align_corners else 0.5)
                cell.append(int(math.floor(q)))
                pos.append(float(q) - math.floor(q))
            for corner in range(2**dim):
                w = 1.0
                local = []
                for d in range(dim):
                    if corner & (1 << d):
                        w *= pos[d]
                        local.append(cell[d] + 1)
                    else:
                        w *= 1 - pos[d]
                        local.append(cell[d])
                stride, index, d = 1, 0, 0
                while d < dim and stride <= hashmap:
                    index += local[d] * stride
                    stride *= side
                    d += 1
                if cfg.grid_type == "hash" and stride > hashmap:
                    index = 0
                    for d in range(dim):
                        index ^= (local[d] * _PRIMES[d]) & 0xFFFFFFFF
                index = (index & 0xFFFFFFFF) % hashmap
                out[n, lvl * feats : (lvl + 1) * feats] += w * table[offsets[lvl] + index]
    return out


GRID_CASES = {
    # level 0 dense (5^2 = 25 <= 64 rows), levels 1-2 hashed
    "2d-hash": HashGridConfig(input_dim=2, num_levels=3, level_dim=2, base_resolution=4, log2_hashmap_size=6, per_level_scale=2.0),
    # level 0 dense (3^3 = 27 <= 64), levels 1-2 hashed; desired_resolution sets the scale
    "3d-hash": HashGridConfig(input_dim=3, num_levels=3, level_dim=2, base_resolution=2, log2_hashmap_size=6, desired_resolution=8),
    "2d-align-corners": HashGridConfig(input_dim=2, num_levels=3, level_dim=1, base_resolution=5, log2_hashmap_size=6, align_corners=True),
    # tiled: level 1 wraps its full dense index, level 2 drops z from it (torch-ngp's stride rule)
    "3d-tiled": HashGridConfig(input_dim=3, num_levels=3, level_dim=1, base_resolution=2, log2_hashmap_size=6, grid_type="tiled"),
}


@pytest.mark.parametrize("name", list(GRID_CASES))
def test_hash_grid_matches_bruteforce_reference(name: str) -> None:
    cfg = GRID_CASES[name]
    infos = level_infos(cfg)
    if cfg.grid_type == "hash":
        assert not infos[0].hashed and any(info.hashed for info in infos), "case must cover a dense and a hashed level"
    else:
        assert len(infos[2].strides) == 2 and len(infos[1].strides) == 3
    grid = HashGrid(cfg).double()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        grid.embeddings.uniform_(-1, 1, generator=gen)  # large values so index mistakes show
    bound = 2.0
    pts = (torch.rand(24, cfg.input_dim, generator=gen) * 2 - 1) * bound
    pts[0] = bound  # the far corner, where the +1 vertices lie on the edge
    pts[1] = -bound
    pts[2, 0] = bound * 1.5  # outside the box -> zeros
    got = grid(pts, bound=bound).detach().numpy()
    want = reference_encode(pts.numpy(), grid.embeddings.detach().numpy(), cfg, bound)
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=1e-6)
    assert np.all(got[2] == 0)


def test_hash_grid_shape_gradients_and_init() -> None:
    cfg = GRID_CASES["3d-hash"]
    torch.manual_seed(0)
    a = HashGrid(cfg)
    torch.manual_seed(0)
    b = HashGrid(cfg)
    assert torch.equal(a.embeddings, b.embeddings)
    assert a.embeddings.abs().max() <= 1e-4 and a.embeddings.std() > 1e-5
    a.reset_parameters(torch.Generator().manual_seed(3))
    b.reset_parameters(torch.Generator().manual_seed(3))
    assert torch.equal(a.embeddings, b.embeddings)

    x = torch.rand(4, 5, 3) * 2 - 1
    out = a(x)
    assert out.shape == (4, 5, cfg.num_levels * cfg.level_dim) and a.output_dim == out.shape[-1]
    out.square().sum().backward()
    grad = a.embeddings.grad
    assert grad is not None and torch.isfinite(grad).all() and (grad != 0).any()

    # every table row the reference touches gets gradient, and only those
    a.zero_grad()
    a(torch.tensor([[0.1, -0.2, 0.3]])).sum().backward()
    touched = int((a.embeddings.grad != 0).any(dim=-1).sum())
    assert 1 <= touched <= cfg.num_levels * 8


def test_make_hash_grid_falls_back_to_pytorch() -> None:
    cfg = GRID_CASES["2d-hash"]
    assert isinstance(make_hash_grid(cfg, prefer_tcnn=False), HashGrid)
    assert isinstance(make_hash_grid(cfg, prefer_tcnn=True, device="cpu"), HashGrid)  # tcnn is CUDA-only
    if not tcnn_available():
        assert isinstance(make_hash_grid(cfg, prefer_tcnn=True), HashGrid)
    tc = tcnn_encoding_config(cfg)
    assert tc["otype"] == "HashGrid" and tc["n_levels"] == 3 and tc["n_features_per_level"] == 2
    assert tc["per_level_scale"] == pytest.approx(2.0) and tc["interpolation"] == "Linear"


@pytest.mark.skipif(
    not (tcnn_available() and torch.cuda.is_available()),
    reason="needs tinycudann and a CUDA device: compares HashGrid with tcnn's HashGrid on fully hashed levels",
)
def test_hash_grid_matches_tcnn_on_hashed_levels() -> None:
    # Every level hashed in both (res**2 > 2**8 from level 0), where the two share table layout.
    cfg = HashGridConfig(input_dim=2, num_levels=4, level_dim=2, base_resolution=32, log2_hashmap_size=8)
    ours = HashGrid(cfg).cuda()
    with torch.no_grad():
        ours.embeddings.uniform_(-1, 1)
    theirs = TcnnHashGrid(cfg, dtype=torch.float32).cuda()
    with torch.no_grad():
        theirs.encoding.params.copy_(ours.embeddings.reshape(-1))
    x = torch.rand(1000, 2, device="cuda") * 1.98 - 0.99
    torch.testing.assert_close(theirs(x), ours(x), atol=1e-4, rtol=1e-4)


def _pattern(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    return torch.stack(
        [0.5 + 0.4 * torch.sin(3 * xs) * torch.cos(2 * ys), 0.5 + 0.4 * torch.cos(4 * xs * ys), 0.5 + 0.3 * xs * ys], dim=-1
    ).reshape(-1, 3)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run single-threaded: the tensors are tiny, and on a shared box extra threads only contend."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("one_thread")
def test_hash_grid_fits_an_image() -> None:
    torch.manual_seed(0)
    size = 32
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    coords, target = torch.stack([xs, ys], dim=-1).reshape(-1, 2), _pattern(xs, ys)
    cfg = HashGridConfig(input_dim=2, num_levels=6, level_dim=2, base_resolution=4, log2_hashmap_size=10, desired_resolution=48)
    grid, head = HashGrid(cfg), nn.Linear(cfg.output_dim, 3)
    opt = torch.optim.Adam([*grid.parameters(), *head.parameters()], lr=2e-2, eps=1e-15)
    for _ in range(200):
        loss = (head(grid(coords)) - target).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    # Score at the training pixels and midway between them, so interpolation is tested, not just lookup.
    half = 1.0 / (size - 1)
    mids = torch.linspace(-1 + half, 1 - half, size - 1)
    mid_ys, mid_xs = torch.meshgrid(mids, mids, indexing="ij")
    mid_coords = torch.stack([mid_xs, mid_ys], dim=-1).reshape(-1, 2)
    with torch.no_grad():
        for where, x, y in (("pixels", coords, target), ("midpoints", mid_coords, _pattern(mid_xs, mid_ys))):
            psnr = -10 * math.log10((head(grid(x)) - y).square().mean().item())
            assert psnr > 25, f"PSNR {psnr:.1f} dB at the {where}"


def test_triplane_and_3d_grid() -> None:
    plane = er_nerf_plane_config()
    assert (plane.num_levels, plane.level_dim, plane.base_resolution, plane.log2_hashmap_size) == (12, 1, 64, 14)
    small = HashGridConfig(input_dim=2, num_levels=2, level_dim=2, base_resolution=4, log2_hashmap_size=6)
    tri = TriPlaneHash(small)
    xyz = torch.rand(7, 3) * 2 - 1
    out = tri(xyz)
    assert out.shape == (7, 3 * small.output_dim) == (7, tri.output_dim)
    d = small.output_dim
    torch.testing.assert_close(out[:, :d], tri.encoder_xy(xyz[:, [0, 1]]))
    torch.testing.assert_close(out[:, d : 2 * d], tri.encoder_yz(xyz[:, [1, 2]]))
    torch.testing.assert_close(out[:, 2 * d :], tri.encoder_xz(xyz[:, [0, 2]]))
    with pytest.raises(ValueError):
        TriPlaneHash(GRID_CASES["3d-hash"])
    assert rad_nerf_grid_config().grid_type == "tiled"
    g3 = HashGrid3D(GRID_CASES["3d-hash"])
    assert g3(xyz).shape == (7, g3.output_dim)


# ----------------------------------------------------------------------------- rays


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


# ----------------------------------------------------------------------------- volume rendering


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


# ----------------------------------------------------------------------------- checkpoints


class _Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.grid = HashGrid(GRID_CASES["2d-hash"])
        self.head = nn.Linear(self.grid.output_dim, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.grid(x))


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = _Tiny()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(torch.rand(16, 2)).sum().backward()
    opt.step()
    config = {"method": "er-nerf", "grid": GRID_CASES["2d-hash"].to_dict(), "aabb": [-1.0, -0.5, -1.0, 1.0, 0.5, 1.0]}
    path = save_checkpoint(tmp_path / "ckpt" / "step_000001.pt", model, opt, step=1, config=config)
    assert [p.name for p in path.parent.iterdir()] == ["step_000001.pt"]  # no temp file left

    torch.manual_seed(1)
    fresh = _Tiny()
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=1e-2)
    state = load_checkpoint(path, fresh, fresh_opt)
    assert state.step == 1 and state.config == config
    for (k, v), (k2, v2) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    exp_avg = opt.state_dict()["state"][0]["exp_avg"]
    torch.testing.assert_close(fresh_opt.state_dict()["state"][0]["exp_avg"], exp_avg)

    with pytest.raises(TypeError):
        save_checkpoint(tmp_path / "bad.pt", model, config={"path": Path("/x")})


def test_checkpoint_corrupt_files_raise_one_line(tmp_path: Path) -> None:
    model = _Tiny()
    path = save_checkpoint(tmp_path / "ckpt.pt", model, step=3)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    for bad in (path, tmp_path / "missing.pt"):
        with pytest.raises(InputError) as err:
            load_checkpoint(bad, model)
        assert isinstance(err.value, BenchError) and str(bad) in str(err.value) and "\n" not in str(err.value)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(InputError, match="not a talkbench"):
        load_checkpoint(other)
    wrong = save_checkpoint(tmp_path / "wrong.pt", nn.Linear(2, 2))
    with pytest.raises(InputError) as err:
        load_checkpoint(wrong, model)
    assert "\n" not in str(err.value) and str(wrong) in str(err.value)
