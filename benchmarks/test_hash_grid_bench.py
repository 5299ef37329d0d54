"""Hash-grid encoding speed on CPU (one thread, as the smoke profile trains): forward + backward of the smoke
profiles' grids, against the per-level `F.embedding` formulation the engine used before, measured in the same run.

Run with: pytest benchmarks/test_hash_grid_bench.py --benchmark-enable
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from talkbench.methods.nerf.hash_grid import HashGrid, HashGridConfig

GRIDS = {
    # ER-NeRF / SyncTalk / WildTalker smoke head: one plane of the tri-plane (three per step).
    "plane 2D 8x1 (er-nerf head)": HashGridConfig(input_dim=2, num_levels=8, level_dim=1, base_resolution=16,
                                                  desired_resolution=128, log2_hashmap_size=14),
    # RAD-NeRF smoke head: a 3D grid.
    "volume 3D 6x2 (rad-nerf head)": HashGridConfig(input_dim=3, num_levels=6, level_dim=2, base_resolution=16,
                                                    desired_resolution=128, log2_hashmap_size=14),
    # The engine's smoke torso: a 2D tiled grid.
    "torso 2D tiled 8x2": HashGridConfig(input_dim=2, num_levels=8, level_dim=2, base_resolution=16,
                                         desired_resolution=256, log2_hashmap_size=16, grid_type="tiled"),
}
POINTS = 16_384  # about one smoke step's samples (1024 rays x 16 steps)
_MEANS: dict[tuple[str, str], float] = {}


class PerLevelEmbedding(HashGrid):
    """The previous formulation: one `F.embedding` per level (a table-sized gradient per level, and CPU embedding's
    backward adds one row view at a time)."""

    def forward(self, inputs: torch.Tensor, bound: float = 1.0) -> torch.Tensor:  # noqa: D102
        x = ((inputs.reshape(-1, self.input_dim).float() + bound) / (2 * bound))
        inside = ((x >= 0) & (x <= 1)).all(dim=-1, keepdim=True)
        x = x.clamp(0.0, 1.0)
        offset = 0.0 if self.config.align_corners else 0.5
        features = []
        for info in self.levels:
            weights, rows = self._level_corners(x, info, offset)
            feats = F.embedding(rows, self.embeddings)
            features.append((weights.unsqueeze(-1) * feats).sum(dim=1))
        out = torch.where(inside, torch.cat(features, dim=-1), torch.zeros(()))
        return out.reshape(*inputs.shape[:-1], self.output_dim)


def _step(grid: HashGrid, x: torch.Tensor) -> None:
    grid.embeddings.grad = None
    grid(x).square().sum().backward()


@pytest.mark.parametrize("impl", ["per-level F.embedding", "engine"])
@pytest.mark.parametrize("name", list(GRIDS))
def test_hash_grid_forward_backward(benchmark, summary_lines, name: str, impl: str) -> None:  # type: ignore[no-untyped-def]
    torch.set_num_threads(1)
    torch.manual_seed(0)
    grid = (HashGrid if impl == "engine" else PerLevelEmbedding)(GRIDS[name])
    x = (torch.rand(POINTS, GRIDS[name].input_dim) * 2 - 1).requires_grad_(True)
    benchmark.pedantic(_step, args=(grid, x), rounds=10, iterations=1, warmup_rounds=1)
    _MEANS[(name, impl)] = benchmark.stats.stats.mean if benchmark.stats else float("nan")
    old, new = _MEANS.get((name, "per-level F.embedding")), _MEANS.get((name, "engine"))
    if old is not None and new is not None:
        summary_lines.append(f"hash grid {name}: {old / new:.2f}x faster than per-level F.embedding "
                             f"({new * 1e3:.1f} ms vs {old * 1e3:.1f} ms for {POINTS} points, fwd+bwd)")


def test_both_formulations_agree() -> None:
    torch.manual_seed(0)
    for config in GRIDS.values():
        new, old = HashGrid(config), PerLevelEmbedding(config)
        old.load_state_dict(new.state_dict())
        x = torch.rand(512, config.input_dim) * 2 - 1
        outs, grads = [], []
        for grid in (new, old):
            xx = x.clone().requires_grad_(True)
            out = grid(xx)
            out.square().sum().backward()
            outs.append(out.detach())
            grads.append((xx.grad, grid.embeddings.grad))
        assert torch.equal(outs[0], outs[1])
        assert torch.equal(grads[0][0], grads[1][0]) and torch.equal(grads[0][1], grads[1][1])
