"""Tri-plane and 3D grid encoders (methods/nerf/triplane.py)."""

from __future__ import annotations

import pytest
import torch

from talkbench.methods.nerf.hash_grid import HashGridConfig
from talkbench.methods.nerf.triplane import HashGrid3D, TriPlaneHash, er_nerf_plane_config, rad_nerf_grid_config
from tests.kit.nerf import GRID_CASES


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
