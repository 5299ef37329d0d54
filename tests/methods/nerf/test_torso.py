"""The torso field (methods/nerf/torso.py): pose codes and a zero initial deformation."""

from __future__ import annotations

import numpy as np
import torch


def test_torso_pose_codes() -> None:
    from talkbench.geometry.so3 import euler_xyz, from_euler_xyz
    from talkbench.methods.nerf.hash_grid import HashGridConfig
    from talkbench.methods.nerf.torso import TorsoField, freq_encode

    angles = np.array([0.1, -0.2, 0.05])
    rot = torch.tensor(from_euler_xyz(angles), dtype=torch.float64)
    np.testing.assert_allclose(euler_xyz(rot).numpy(), angles, atol=1e-12)
    assert freq_encode(torch.zeros(5, 2), 3).shape == (5, 2 * 7)
    grid = HashGridConfig(input_dim=2, num_levels=2, level_dim=2, base_resolution=4, log2_hashmap_size=8, grid_type="tiled")
    poses = torch.eye(4).repeat(6, 1, 1)
    poses[:, 2, 3] = 0.8
    poses[:, 0, 3] = torch.linspace(-0.02, 0.02, 6)
    for mode in ("anchors", "euler"):
        torso = TorsoField(grid, pose_mode=mode, ind_num=6, ind_dim=3)
        torso.set_pose_statistics(poses)
        code = torso.pose_code(poses)
        assert code.shape == (6, 6) and torch.allclose(code.mean(0), torch.zeros(6), atol=1e-5)
        alpha, rgb, dx = torso(torch.zeros(4, 2), code[:1].expand(4, -1), torso.codes(torch.zeros(4, dtype=torch.long)))
        assert alpha.shape == (4, 1) and rgb.shape == (4, 3) and torch.all(dx == 0)  # the deformation starts at zero
