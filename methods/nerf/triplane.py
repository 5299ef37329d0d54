"""ER-NeRF's tri-plane hash encoding and RAD-NeRF's 3D grid, built on `hash_grid`.

ER-NeRF (`nerf_triplane/network.py`) encodes a point (x, y, z) with three independent 2D hash
grids on the (x, y), (y, z) and (x, z) planes and concatenates their features in that order
(no sum or product); each plane has 12 levels of 1 feature, base resolution 64, 2**14 rows,
finest resolution 512 * bound. RAD-NeRF (`nerf/network.py`) uses one 3D "tiled" grid of 16
levels x 2 features, base 16, 2**16 rows, finest resolution 2048 * bound.
"""

from __future__ import annotations

import torch
from torch import nn

from talkbench.methods.nerf.hash_grid import HashGridConfig, make_hash_grid

PLANES: tuple[tuple[int, int], ...] = ((0, 1), (1, 2), (0, 2))
"""Coordinate pairs of the xy, yz and xz planes, in ER-NeRF's concatenation order."""


def er_nerf_plane_config(bound: float = 1.0) -> HashGridConfig:
    """ER-NeRF's per-plane grid: 12 levels x 1 feature, base 64, 2**14 rows, finest 512 * bound."""
    return HashGridConfig(
        input_dim=2,
        num_levels=12,
        level_dim=1,
        base_resolution=64,
        log2_hashmap_size=14,
        desired_resolution=512 * bound,
    )


def rad_nerf_grid_config(bound: float = 1.0) -> HashGridConfig:
    """RAD-NeRF's 3D grid: tiled, 16 levels x 2 features, base 16, 2**16 rows, finest 2048 * bound."""
    return HashGridConfig(
        input_dim=3,
        num_levels=16,
        level_dim=2,
        base_resolution=16,
        log2_hashmap_size=16,
        desired_resolution=2048 * bound,
        grid_type="tiled",
    )


class TriPlaneHash(nn.Module):
    """Three 2D grids on the xy, yz, xz planes; [..., 3] -> [..., 3 * plane output_dim] (xy | yz | xz)."""

    def __init__(
        self,
        config: HashGridConfig,
        prefer_tcnn: bool = True,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if config.input_dim != 2:
            raise ValueError(f"TriPlaneHash needs a 2D plane config, got input_dim={config.input_dim}")
        self.config = config
        self.input_dim = 3
        self.output_dim = 3 * config.output_dim
        # Separate tables per plane, as ER-NeRF's encoder_xy / encoder_yz / encoder_xz.
        self.encoder_xy = make_hash_grid(config, prefer_tcnn, device)
        self.encoder_yz = make_hash_grid(config, prefer_tcnn, device)
        self.encoder_xz = make_hash_grid(config, prefer_tcnn, device)

    def forward(self, xyz: torch.Tensor, bound: float = 1.0) -> torch.Tensor:
        """Encode points in [-bound, bound]^3 as the concatenated xy, yz, xz plane features."""
        if xyz.shape[-1] != 3:
            raise ValueError(f"TriPlaneHash expects [..., 3] inputs, got {tuple(xyz.shape)}")
        encoders = (self.encoder_xy, self.encoder_yz, self.encoder_xz)
        feats = [enc(xyz[..., list(pair)], bound=bound) for enc, pair in zip(encoders, PLANES)]
        return torch.cat(feats, dim=-1)


class HashGrid3D(nn.Module):
    """A 3D grid encoder (RAD-NeRF's position encoding): [..., 3] -> [..., output_dim]."""

    def __init__(
        self,
        config: HashGridConfig | None = None,
        prefer_tcnn: bool = True,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        config = config if config is not None else rad_nerf_grid_config()
        if config.input_dim != 3:
            raise ValueError(f"HashGrid3D needs input_dim=3, got {config.input_dim}")
        self.config = config
        self.input_dim = 3
        self.output_dim = config.output_dim
        self.grid = make_hash_grid(config, prefer_tcnn, device)

    def forward(self, xyz: torch.Tensor, bound: float = 1.0) -> torch.Tensor:
        """Encode points in [-bound, bound]^3."""
        return self.grid(xyz, bound=bound)

