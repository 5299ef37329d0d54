"""LPIPS networks (`talkbench.zoo.lpips`): the backbone entries, and lpips.LPIPS built once per file from the verified backbone."""

from __future__ import annotations

import pytest

from talkbench.core.errors import BenchError, WeightsMissing
from talkbench.infra import weights
from talkbench.zoo.lpips import BACKBONES, backbone_entry_name, get_model, require_backbone


def test_backbones_are_torchvision_files_with_their_published_prefix() -> None:
    assert {net: backbone_entry_name(net) for net in BACKBONES} == {"alex": "alexnet", "vgg": "vgg16"}
    for name in BACKBONES.values():
        entry = weights.get_entry(name)
        assert entry.subdir == "torch_hub/checkpoints" and entry.sha256 and entry.sha256 in entry.filename
    with pytest.raises(BenchError, match="use one of alex, vgg"):
        backbone_entry_name("squeeze")


def test_missing_backbone_says_how_to_install(lpips_env) -> None:
    with pytest.raises(WeightsMissing, match="bench weights install alexnet"):
        require_backbone("alex")
    with pytest.raises(WeightsMissing, match="bench weights install vgg16"):
        get_model("vgg")


def test_lpips_model_cached_per_file(installed_alexnet) -> None:
    from talkbench.zoo import lpips as lpips_mod

    m1, _, _ = lpips_mod.get_model("alex", "cpu")
    m2, _, _ = lpips_mod.get_model("alex", "cpu")
    assert m1 is m2 and not m1.training
    assert all(not p.requires_grad for p in m1.parameters())
