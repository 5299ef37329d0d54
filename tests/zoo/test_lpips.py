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


@pytest.mark.slow
def test_lpips_model_cached_per_file(installed_alexnet) -> None:
    from talkbench.zoo import lpips as lpips_mod

    m1, _, _ = lpips_mod.get_model("alex", "cpu")
    m2, _, _ = lpips_mod.get_model("alex", "cpu")
    assert m1 is m2 and not m1.training
    assert all(not p.requires_grad for p in m1.parameters())


@pytest.mark.needs_weights("alexnet")
def test_the_installed_alexnet_gives_the_packages_lpips() -> None:
    """With the real ImageNet AlexNet from the registry, talkbench's LPIPS equals the lpips package's on the same frames
    (the random-weight version of this check runs everywhere: tests/metrics/image/test_lpips.py)."""
    import numpy as np
    import torch
    from skimage import data

    from talkbench.metrics.image.lpips import lpips_per_frame
    from tests.kit.weights import reference_lpips

    image = data.astronaut()[:256, :256]
    noisy = np.clip(image + np.random.default_rng(0).normal(0, 12, image.shape), 0, 255).astype(np.uint8)
    ours = lpips_per_frame(noisy[None], image[None], net="alex", device="cpu")
    path, _ = require_backbone("alex")
    model = reference_lpips(torch.load(path, weights_only=True))
    to_t = lambda x: torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float() / 255.0  # noqa: E731
    with torch.no_grad():
        reference = float(model(to_t(noisy), to_t(image), normalize=True))
    assert abs(float(ours[0]) - reference) < 1e-5 and 0.05 < reference < 0.6


def test_lpips_is_built_without_the_hub_loader_and_without_unpickling_code(installed_alexnet, monkeypatch) -> None:
    """torchvision's hub loader reads with weights_only=False: it must never run, and every torch.load is weights_only."""
    import numpy as np
    import torch

    from talkbench.zoo import lpips as lpips_mod
    from tests.kit.weights import reference_lpips

    def no_hub(*args, **kwargs):
        raise AssertionError("torch.hub.load_state_dict_from_url called")

    real_load = torch.load
    calls = []

    def checked_load(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_hub)
    monkeypatch.setattr(torch, "load", checked_load)
    model, _, _ = lpips_mod.get_model("alex", "cpu")
    assert calls and all(flag is True for flag in calls)
    state, _ = installed_alexnet
    reference = reference_lpips(state)  # the lpips package's own network with the same trunk
    x, y = (torch.from_numpy(np.random.default_rng(i).random((1, 3, 64, 64), dtype=np.float32)) for i in (0, 1))
    with torch.no_grad():
        assert float(model(x, y, normalize=True)) == pytest.approx(float(reference(x, y, normalize=True)), abs=1e-6)
