"""The hash grid (methods/nerf/hash_grid.py): against a brute-force reference, gradients, the tcnn fallback and
comparison, fitting an image, and on CUDA."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from talkbench.methods.nerf.hash_grid import (
    HashGrid,
    HashGridConfig,
    TcnnHashGrid,
    level_infos,
    make_hash_grid,
    tcnn_available,
    tcnn_encoding_config,
)
from tests.kit.nerf import GRID_CASES

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


@pytest.mark.gpu
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


@pytest.mark.slow
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


@pytest.mark.gpu
def test_hash_grid_on_cuda_matches_the_cpu() -> None:
    from talkbench.methods.nerf.hash_grid import HashGrid, HashGridConfig

    torch.manual_seed(0)
    for dim, kind in ((2, "hash"), (3, "tiled")):
        cfg = HashGridConfig(input_dim=dim, num_levels=6, level_dim=2, base_resolution=16, log2_hashmap_size=14,
                             desired_resolution=256.0, grid_type=kind)
        cpu = HashGrid(cfg)
        gpu = HashGrid(cfg).cuda()
        gpu.load_state_dict(cpu.state_dict())
        x = torch.rand(4096, dim) * 1.98 - 0.99
        torch.testing.assert_close(gpu(x.cuda()).cpu(), cpu(x), atol=1e-5, rtol=1e-5)
