"""Multiresolution hash encoding (Instant-NGP) in pure PyTorch, with torch-ngp `gridencoder` semantics.

ER-NeRF and RAD-NeRF encode positions with torch-ngp's CUDA `GridEncoder`; `HashGrid` computes
the same function with tensor ops so it runs anywhere:

- level l has `scale = 2**(l * log2(per_level_scale)) * base_resolution - 1` (float32, as the
  kernel computes it) and `resolution = ceil(scale) + 1` vertices per axis;
- a point x in [0, 1] sits at `x * scale + 0.5` in grid units (`+ 0` with `align_corners`), and
  its feature is the (bi/tri)linear blend of the 2**D surrounding vertices;
- level l owns `min(2**log2_hashmap_size, side**D)` table rows rounded up to a multiple of 8,
  with `side = resolution + 1` (`resolution` with `align_corners`): one row per vertex;
- a vertex's row is its dense (x-fastest) index when the level's grid fits in its table, and
  otherwise the coherent prime hash `(x*1) ^ (y*2654435761) ^ (z*805459861)` in uint32; both
  are taken modulo the table size. A "tiled" grid never hashes, it wraps the dense index.
- points outside [0, 1] (after mapping [-bound, bound] onto it) encode to zeros.

`make_hash_grid` swaps in tiny-cuda-nn's fused kernel on CUDA when it is installed; see
`tcnn_encoding_config` for what differs.

No grid regulariser lives here: the total-variation gradient in RAD-NeRF's copy of torch-ngp's
gridencoder is never called. Weight decay is the optimizer's business (ER-NeRF's AdamW applies
its default 0.01 to the grid groups too; see the ER-NeRF paper profile in `methods/er_nerf/method.py`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

PRIMES: tuple[int, int, int] = (1, 2654435761, 805459861)
"""Per-axis multipliers of the coherent prime hash (torch-ngp `fast_hash`, tcnn `coherent_prime_hash`)."""

INIT_RANGE = 1e-4
"""Table entries start uniform in [-INIT_RANGE, INIT_RANGE] (torch-ngp `reset_parameters`, tcnn)."""

_UINT32 = 0xFFFFFFFF


@dataclass(frozen=True)
class HashGridConfig:
    """Hyper-parameters of a multiresolution grid encoding (names follow torch-ngp's `GridEncoder`)."""

    input_dim: int = 3
    """Coordinate dimensions: 2 (planes) or 3 (volumes)."""
    num_levels: int = 16
    """Number of resolution levels; the output has num_levels * level_dim features."""
    level_dim: int = 2
    """Features stored per table row (per level)."""
    base_resolution: int = 16
    """Vertices per axis of the coarsest level (torch-ngp/tcnn: scale = base_resolution - 1)."""
    log2_hashmap_size: int = 19
    """log2 of the largest table a level may use; finer levels hash into it."""
    desired_resolution: float | None = None
    """Resolution of the finest level; when set it overrides per_level_scale."""
    per_level_scale: float = 2.0
    """Growth factor of the resolution from one level to the next (used when desired_resolution is None)."""
    grid_type: Literal["hash", "tiled"] = "hash"
    """"hash": levels larger than the table are hashed; "tiled": they wrap the dense index (RAD-NeRF)."""
    align_corners: bool = False
    """False: vertices sit at cell centres (x * scale + 0.5, one extra vertex per axis); True: at corners."""
    interpolation: Literal["linear"] = "linear"
    """Interpolation between vertices; only (bi/tri)linear, the one ER-NeRF and RAD-NeRF use."""

    def __post_init__(self) -> None:
        if self.input_dim not in (2, 3):
            raise ValueError(f"HashGridConfig.input_dim must be 2 or 3, got {self.input_dim}")
        if self.num_levels < 1 or self.level_dim < 1 or self.base_resolution < 1:
            raise ValueError(f"HashGridConfig needs num_levels, level_dim, base_resolution >= 1: {self}")
        if not 3 <= self.log2_hashmap_size <= 30:
            # >= 3 keeps 2**log2 a multiple of 8, so the rounding to 8 never grows a hashed table.
            raise ValueError(f"HashGridConfig.log2_hashmap_size must be in [3, 30], got {self.log2_hashmap_size}")
        if self.grid_type not in ("hash", "tiled"):
            raise ValueError(f"HashGridConfig.grid_type must be 'hash' or 'tiled', got {self.grid_type!r}")
        if self.interpolation != "linear":
            raise ValueError(f"HashGridConfig.interpolation must be 'linear', got {self.interpolation!r}")
        if self.desired_resolution is None and self.per_level_scale <= 0:
            raise ValueError(f"HashGridConfig.per_level_scale must be > 0, got {self.per_level_scale}")
        if self.desired_resolution is not None and self.desired_resolution <= 0:
            raise ValueError(f"HashGridConfig.desired_resolution must be > 0, got {self.desired_resolution}")

    @property
    def output_dim(self) -> int:
        """Features per encoded point: num_levels * level_dim."""
        return self.num_levels * self.level_dim

    def resolved_per_level_scale(self) -> float:
        """The per-level growth factor, derived from desired_resolution when that is set (torch-ngp's rule)."""
        if self.desired_resolution is None:
            return float(self.per_level_scale)
        if self.num_levels == 1:
            return 1.0
        return float(np.exp2(np.log2(self.desired_resolution / self.base_resolution) / (self.num_levels - 1)))

    def to_dict(self) -> dict[str, Any]:
        """Plain-typed dict of the fields (for checkpoints and reports)."""
        return asdict(self)


@dataclass(frozen=True)
class LevelInfo:
    """Geometry of one level of a `HashGrid` (all derived from its config)."""

    scale: float
    """Grid units per unit of input: a point x in [0, 1] sits at x * scale (+ 0.5 unless align_corners)."""
    resolution: int
    """ceil(scale) + 1, the kernels' per-axis resolution."""
    table_size: int
    """Rows of the table this level owns."""
    offset: int
    """First row of this level in the shared parameter table."""
    hashed: bool
    """True when vertices are placed by the spatial hash, False for dense (or tiled) indexing."""
    strides: tuple[int, ...]
    """Dense-index multiplier of each axis that takes part in the dense index (x first)."""


def level_infos(config: HashGridConfig) -> list[LevelInfo]:
    """Per-level scale, resolution, table size, offset and indexing rule of a grid with `config`."""
    dim = config.input_dim
    per_level_scale = config.resolved_per_level_scale()
    max_rows = 2**config.log2_hashmap_size
    # The kernels compute the scale in float32 from log2(per_level_scale); do the same so the
    # floor() of a vertex position lands where it does on CUDA.
    log2_scale = np.float32(np.log2(per_level_scale))
    infos: list[LevelInfo] = []
    offset = 0
    for level in range(config.num_levels):
        # Table size: grid.py allocates from a float64 resolution, padded to a multiple of 8.
        res_alloc = int(np.ceil(config.base_resolution * per_level_scale**level))
        side_alloc = res_alloc if config.align_corners else res_alloc + 1
        rows = min(max_rows, side_alloc**dim)
        rows = int(math.ceil(rows / 8) * 8)
        scale = np.float32(np.exp2(np.float32(level) * log2_scale)) * np.float32(config.base_resolution) - np.float32(1.0)
        resolution = int(np.ceil(scale)) + 1
        side = resolution if config.align_corners else resolution + 1
        # get_grid_index: an axis joins the dense index only while the running stride still
        # fits in the table; a hash grid hashes when the full stride does not fit.
        strides: list[int] = []
        stride = 1
        for _ in range(dim):
            if stride > rows:
                break
            strides.append(stride)
            stride *= side
        hashed = config.grid_type == "hash" and stride > rows
        infos.append(LevelInfo(float(scale), resolution, rows, offset, hashed, tuple(strides)))
        offset += rows
    return infos


class HashGrid(nn.Module):
    """Multiresolution hash encoding: [..., input_dim] in [-bound, bound] -> [..., num_levels * level_dim]."""

    def __init__(self, config: HashGridConfig) -> None:
        super().__init__()
        self.config = config
        self.input_dim = config.input_dim
        self.output_dim = config.output_dim
        self.levels = level_infos(config)
        total_rows = self.levels[-1].offset + self.levels[-1].table_size
        # One table for all levels, row-sliced by LevelInfo.offset, like torch-ngp's `embeddings`.
        self.embeddings = nn.Parameter(torch.empty(total_rows, config.level_dim))
        # Bit d of corner c says whether corner c takes the upper vertex along axis d (kernel order).
        corners = [[(c >> d) & 1 for d in range(config.input_dim)] for c in range(2**config.input_dim)]
        self.register_buffer("_corners", torch.tensor(corners, dtype=torch.int64), persistent=False)
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Re-draw the table uniform in [-1e-4, 1e-4] (torch-ngp's and tcnn's initialisation)."""
        with torch.no_grad():
            self.embeddings.uniform_(-INIT_RANGE, INIT_RANGE, generator=generator)

    def extra_repr(self) -> str:
        """One-line summary for print(module)."""
        c = self.config
        hashed = sum(info.hashed for info in self.levels)
        return (
            f"input_dim={c.input_dim}, levels={c.num_levels}x{c.level_dim}, resolution={self.levels[0].resolution}"
            f"->{self.levels[-1].resolution}, table={tuple(self.embeddings.shape)}, hashed_levels={hashed}, "
            f"grid_type={c.grid_type}, align_corners={c.align_corners}"
        )

    def forward(self, inputs: torch.Tensor, bound: float = 1.0) -> torch.Tensor:
        """Encode points in [-bound, bound]^input_dim; points outside the box encode to zeros."""
        if inputs.shape[-1] != self.input_dim:
            raise ValueError(f"HashGrid expects [..., {self.input_dim}] inputs, got {tuple(inputs.shape)}")
        prefix = inputs.shape[:-1]
        # Positions in float32 whatever the table dtype, as the reference does (inputs.float()).
        x = ((inputs.reshape(-1, self.input_dim).float() + bound) / (2 * bound))
        inside = ((x >= 0) & (x <= 1)).all(dim=-1, keepdim=True)
        # Clamp only for indexing: far-away points would overflow the integer vertex coordinates.
        x = x.clamp(0.0, 1.0)
        offset = 0.0 if self.config.align_corners else 0.5
        # Every level's corner rows are gathered in one indexing op: its backward then scatters into one
        # table-sized gradient instead of one per level (the levels' rows are disjoint, so the sums are the same).
        corners = [self._level_corners(x, info, offset) for info in self.levels]
        feats = self.embeddings[torch.cat([rows for _, rows in corners], dim=1)]  # [N, L * 2**D, C]
        per_level = feats.split([rows.shape[1] for _, rows in corners], dim=1)
        features = [(w.to(f.dtype).unsqueeze(-1) * f).sum(dim=1) for (w, _), f in zip(corners, per_level)]
        out = torch.cat(features, dim=-1)
        out = torch.where(inside, out, torch.zeros((), dtype=out.dtype, device=out.device))
        return out.reshape(*prefix, self.output_dim)

    def _level_corners(self, x: torch.Tensor, info: LevelInfo, offset: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Interpolation weights [N, 2**D] and table rows [N, 2**D] of the cell around each point on one level."""
        pos = x * info.scale + offset
        base = torch.floor(pos)
        frac = pos - base  # differentiable in x, so input gradients come for free
        vertex = base.long().unsqueeze(1) + self._corners  # [N, 2**D, D]
        upper = self._corners.to(frac.dtype)
        f = frac.unsqueeze(1)
        weights = (f * upper + (1 - f) * (1 - upper)).prod(dim=-1)  # [N, 2**D]
        return weights, self._vertex_rows(vertex, info)

    def _vertex_rows(self, vertex: torch.Tensor, info: LevelInfo) -> torch.Tensor:
        if info.hashed:
            index = torch.zeros_like(vertex[..., 0])
            for d in range(self.input_dim):
                index = index ^ (vertex[..., d] * PRIMES[d])
        else:
            index = torch.zeros_like(vertex[..., 0])
            for d, stride in enumerate(info.strides):
                index = index + vertex[..., d] * stride
        # The kernels do this arithmetic in uint32, so wrap before the modulo.
        index = index & _UINT32
        size = info.table_size
        index = index & (size - 1) if size & (size - 1) == 0 else index % size  # a power of two: the same, cheaper
        return index + info.offset


def tcnn_encoding_config(config: HashGridConfig) -> dict[str, Any]:
    """tiny-cuda-nn "HashGrid" encoding json with the same hyper-parameters as `config`.

    Same: level scale and resolution formulas, x * scale + 0.5 positions, coherent prime hash,
    linear interpolation, uniform(-1e-4, 1e-4) init, [L * C] level-major output.
    Different (so tables are not interchangeable and outputs differ slightly):
    - dense levels: tcnn uses `resolution` rows per axis (torch-ngp: `resolution + 1`) and
      a table of min(2**log2, resolution**D rounded to 8); which levels hash can differ too;
    - precision: tcnn keeps parameters and outputs in float16 when built with half precision
      (its default on recent GPUs); `TcnnHashGrid` casts outputs to float32;
    - points outside [0, 1] are not zeroed by tcnn;
    - its initial table comes from its own RNG (seeded by the `seed` argument), not torch's.
    align_corners=True and "tiled" grids have no tcnn equivalent; `make_hash_grid` keeps
    them on the PyTorch implementation.
    """
    return {
        "otype": "HashGrid",
        "n_levels": config.num_levels,
        "n_features_per_level": config.level_dim,
        "log2_hashmap_size": config.log2_hashmap_size,
        "base_resolution": config.base_resolution,
        "per_level_scale": config.resolved_per_level_scale(),
        "interpolation": "Linear",
    }


def tcnn_unsupported_reason(config: HashGridConfig) -> str | None:
    """Why `config` cannot run on tiny-cuda-nn with torch-ngp semantics, or None when it can."""
    if config.grid_type != "hash":
        return "tcnn's tiled grid indexes differently from torch-ngp's"
    if config.align_corners:
        return "tcnn has no align_corners (it always offsets positions by 0.5)"
    if config.level_dim not in (1, 2, 4, 8):
        return "tcnn supports 1, 2, 4 or 8 features per level"
    return None


@functools.cache
def tcnn_available() -> bool:
    """True when `tinycudann` imports (it needs a CUDA build and driver)."""
    try:
        import tinycudann  # noqa: F401
    except (ImportError, OSError, RuntimeError):
        return False
    return True


class TcnnHashGrid(nn.Module):
    """tiny-cuda-nn HashGrid behind `HashGrid`'s interface (CUDA only; see `tcnn_encoding_config`)."""

    def __init__(self, config: HashGridConfig, seed: int = 1337, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        import tinycudann as tcnn

        reason = tcnn_unsupported_reason(config)
        if reason is not None:
            raise ValueError(f"TcnnHashGrid: {reason}")
        self.config = config
        self.input_dim = config.input_dim
        self.output_dim = config.output_dim
        # dtype None lets tcnn pick its preferred precision (float16 on most GPUs).
        self.encoding = tcnn.Encoding(config.input_dim, tcnn_encoding_config(config), seed=seed, dtype=dtype)

    def forward(self, inputs: torch.Tensor, bound: float = 1.0) -> torch.Tensor:
        """Encode points in [-bound, bound]^input_dim; output float32 [..., output_dim]."""
        prefix = inputs.shape[:-1]
        x = (inputs.reshape(-1, self.input_dim).float() + bound) / (2 * bound)
        return self.encoding(x.contiguous()).float().reshape(*prefix, self.output_dim)


def make_hash_grid(
    config: HashGridConfig,
    prefer_tcnn: bool = True,
    device: torch.device | str | None = None,
) -> nn.Module:
    """A grid encoder on `device`: tiny-cuda-nn when preferred, importable, on CUDA and supported; else `HashGrid`."""
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if prefer_tcnn and dev.type == "cuda" and tcnn_unsupported_reason(config) is None and tcnn_available():
        return TcnnHashGrid(config).to(dev)
    return HashGrid(config).to(dev)

