"""`NeRFMethod` (methods/nerf/method.py) end to end on a tiny clip: a few steps on CPU, render, determinism,
checkpoints, curves, and the registered NeRF methods' configs and profiles.

nerfstudio-style "every method trains a few iterations" tests: they check the plumbing (shapes,
dtypes, files, seeds), not quality. Whether the smoke profile beats the static baseline is a
measured run (`bench run --method er-nerf --method rad-nerf --method static ...`), not a test.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import inspect
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench.core.types import Checkpoint
from talkbench.methods.nerf.drive import load_model
from talkbench.methods.nerf.trainer import CHECKPOINT_FILE, CURVES_FILE
from tests.kit.nerf import drive as _drive, tiny_method as _method, train as _train


@pytest.mark.slow
@pytest.mark.parametrize("name", ["er-nerf", "rad-nerf"])
def test_train_render_determinism_and_round_trip(name: str, tiny_clip, tmp_path: Path, one_thread) -> None:
    method = _method(name)
    ck = _train(method, tiny_clip, tmp_path / "a", seed=3)

    # files and meta
    assert (ck.path / CHECKPOINT_FILE).is_file()
    assert ck.meta["curves"] == CURVES_FILE and ck.meta["checkpoint"] == CHECKPOINT_FILE
    assert ck.meta["lips"].startswith("skipped: lips_iters = 0")
    assert set(ck.meta["stages"]) == {"head", "torso"}
    rows = list(csv.DictReader(open(ck.path / CURVES_FILE)))
    assert rows and set(rows[0]) == {"stage", "step", "loss", "psnr", "lr", "seconds", "samples"}
    assert [r["stage"] for r in rows].count("head") == 4 and [r["stage"] for r in rows].count("torso") == 3
    assert all(np.isfinite(float(r["loss"])) and float(r["loss"]) > 0 for r in rows)

    # render: uint8 at the clip's resolution, one frame per driving frame
    drive = _drive(tiny_clip)
    video = method.render(ck, drive)
    assert video.frames.dtype == np.uint8 and video.frames.shape == (drive.num_frames, 64, 64, 3)
    assert video.fps == drive.fps and video.audio is drive.audio
    assert video.frames.std() > 5  # a picture, not a constant

    # same seed -> same weights and same frames; another seed -> different weights
    again = _train(_method(name), tiny_clip, tmp_path / "b", seed=3)
    state_a = torch.load(ck.path / CHECKPOINT_FILE, weights_only=True)["model"]
    state_b = torch.load(again.path / CHECKPOINT_FILE, weights_only=True)["model"]
    assert state_a.keys() == state_b.keys()
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    np.testing.assert_array_equal(_method(name).render(again, drive).frames, video.frames)
    other = _train(_method(name), tiny_clip, tmp_path / "c", seed=4)
    state_c = torch.load(other.path / CHECKPOINT_FILE, weights_only=True)["model"]
    assert not all(torch.equal(state_a[k], state_c[k]) for k in state_a)

    # checkpoint round trip: a moved checkpoint directory renders the same frames with a fresh method object
    moved = tmp_path / "moved"
    shutil.copytree(ck.path, moved)
    np.testing.assert_array_equal(_method(name).render(Checkpoint(path=moved), drive).frames, video.frames)
    model, saved = load_model(moved / CHECKPOINT_FILE, method.Model)
    assert saved["model"] == method.Model.__name__ and saved["height"] == 64 and model.cfg.stages.iters == 6
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k].cpu(), state_a[k]) for k in state_a)

    # without poses the training poses are replayed
    assert method.render(ck, _drive(tiny_clip, poses=False)).frames.shape == video.frames.shape


def _field_docstrings(cls: type) -> set[str]:
    """Names of dataclass fields followed by a string literal in `cls`'s own body."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    named = set()
    for stmt, nxt in zip(body, body[1:]):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if isinstance(nxt, ast.Expr) and isinstance(getattr(nxt, "value", None), ast.Constant) and isinstance(nxt.value.value, str):
                named.add(stmt.target.id)
    return named


@pytest.mark.parametrize("name", ["er-nerf", "rad-nerf", "synctalk", "wildtalker"])
def test_registered_with_documented_config_and_profiles(name: str) -> None:
    from talkbench.core.registries import METHODS

    cls = METHODS.get(name)
    assert cls.name == name and not cls().capabilities().gpu
    undocumented = []
    pending = [cls.Config]
    while pending:  # the config and every nested group
        config_cls = pending.pop()
        documented = set().union(*(_field_docstrings(c) for c in config_cls.__mro__ if dataclasses.is_dataclass(c)))
        for f in dataclasses.fields(config_cls):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if dataclasses.is_dataclass(default):
                pending.append(type(default))
            elif f.name not in documented:
                undocumented.append(f"{config_cls.__name__}.{f.name}")
    assert not undocumented, f"fields without a docstring: {sorted(undocumented)}"
    assert set(cls.profiles) == {"smoke", "lipsync", "cpu-long", "tiny"}, "the paper profile is the Config's defaults, written once"
    assert cls.profiles["lipsync"] == cls.profiles["smoke"], "the lipsync profile changes the data, not the schedule"
    leaves = cls.Config().leaves()
    for profile in cls.profiles.values():
        assert set(profile) <= set(leaves)
    paper = cls.config_for("paper")
    assert paper == cls.Config(), "the Config defaults are the public configuration (the paper profile)"
    assert paper.sampling.num_rays == 4096 * 16 and paper.sampling.num_steps == 16 and paper.device == "auto"
    smoke = cls.config_for("smoke")
    assert smoke.device == "cpu" and smoke.stages.iters <= 2000
