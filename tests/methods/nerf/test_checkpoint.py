"""NeRF checkpoints (methods/nerf/checkpoint.py): round trip, and corrupt files as one readable error."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from talkbench.core.errors import BenchError, InputError
from talkbench.methods.nerf.checkpoint import load_checkpoint, save_checkpoint
from talkbench.methods.nerf.hash_grid import HashGrid
from talkbench.methods.nerf.trainer import CHECKPOINT_FILE
from tests.kit.nerf import GRID_CASES, drive as _drive, tiny_method as _method, train as _train


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


def test_corrupt_checkpoint_is_one_readable_error(tiny_clip, tmp_path: Path) -> None:
    method = _method("er-nerf", iters="2", torso_iters="0")
    ck = _train(method, tiny_clip, tmp_path / "w")
    path = ck.path / CHECKPOINT_FILE
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="model.pt"):
        method.render(ck, _drive(tiny_clip))
