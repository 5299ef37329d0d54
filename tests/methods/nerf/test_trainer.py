"""The NeRF training loop (methods/nerf/trainer.py): the lip stage with and without LPIPS weights, and what a
training run leaves in its workdir."""

from __future__ import annotations

import csv
import dataclasses
import os
import shutil
from pathlib import Path

import pytest
import torch

from talkbench.methods.nerf.trainer import CHECKPOINT_FILE, CURVES_FILE
from tests.kit.nerf import tiny_method as _method, train as _train


@pytest.fixture
def installed_random_alexnet(tiny_cards, bench_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A seeded random AlexNet installed as the LPIPS backbone (the registry expecting its hash)."""
    from talkbench.infra import weights
    from talkbench.infra.torchvision_compat import import_torchvision
    from talkbench.zoo import lpips as lpips_mod

    tv = import_torchvision()
    torch.manual_seed(1234)
    src = tmp_path / "alexnet-random.pth"
    torch.save(tv.models.alexnet().state_dict(), src)
    entry = dataclasses.replace(weights.ENTRIES["alexnet"], sha256=weights.sha256_of(src))
    monkeypatch.setitem(weights.ENTRIES, "alexnet", entry)
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, entry.path)
    hub_before = getattr(torch.hub, "_hub_dir", None)
    lpips_mod.clear_cache()
    yield entry.path
    lpips_mod.clear_cache()
    torch.hub._hub_dir = hub_before


@pytest.mark.slow
def test_lip_stage_runs_with_lpips_weights(installed_random_alexnet, tiny_clip, tmp_path: Path) -> None:
    ck = _train(_method("er-nerf", iters="2", lips_iters="4", torso_iters="0"), tiny_clip, tmp_path / "w")
    assert ck.meta["lips"] == "ran"
    stages = [r["stage"] for r in csv.DictReader(open(ck.path / CURVES_FILE))]
    assert "lips" in stages and "torso" not in stages


def test_lip_stage_is_skipped_with_the_reason_without_weights(tiny_clip, tmp_path: Path) -> None:
    ck = _train(_method("rad-nerf", iters="2", lips_iters="2", torso_iters="0"), tiny_clip, tmp_path / "w")
    assert ck.meta["lips"].startswith("skipped: LPIPS unavailable") and "alexnet" in ck.meta["lips"]


def test_tiny_clip_trains_in_a_workdir_the_runner_can_cache(tiny_clip, tmp_path: Path) -> None:
    """The checkpoint meta is JSON-able (the runner writes it to DONE.json) and names files inside the workdir."""
    import json

    ck = _train(_method("rad-nerf", iters="2", torso_iters="2"), tiny_clip, tmp_path / "w")
    json.dumps(ck.meta)
    assert all((ck.path / ck.meta[k]).is_file() for k in ("checkpoint", "curves"))
    assert sorted(os.listdir(ck.path)) == sorted([CHECKPOINT_FILE, CURVES_FILE])
