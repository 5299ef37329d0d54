"""LPIPS (Zhang et al. 2018) networks: the torchvision backbones' weights entries and `lpips.LPIPS` built over them.

The backbone is torchvision's ImageNet file. `lpips` asks torchvision for it, and
torchvision looks in `<torch hub dir>/checkpoints/` and downloads it when absent (without
checking the hash of a cached copy). talkbench never lets that happen: the file is
resolved and sha256-checked by `talkbench.infra.weights.require`, which installs torchvision files
at `weights_dir()/torch_hub/checkpoints/<filename>`; the torch hub dir is pointed at
`weights_dir()/torch_hub` only while the model is being built, then restored. The LPIPS linear
layers (v0.1) ship inside the `lpips` wheel.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.infra import weights
from talkbench.infra.devices import resolve_device
from talkbench.infra.weights import TORCH_HUB, WeightsEntry

ALEXNET = WeightsEntry(
    name="alexnet",
    filename="alexnet-owt-7be5be79.pth",
    sha256="7be5be79",
    url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
    licence="BSD-3-Clause (torchvision ImageNet weights)",
    used_by="LPIPS (AlexNet backbone, the papers' variant)",
    subdir=TORCH_HUB,
)
VGG16 = WeightsEntry(
    name="vgg16",
    filename="vgg16-397923af.pth",
    sha256="397923af",
    url="https://download.pytorch.org/models/vgg16-397923af.pth",
    licence="BSD-3-Clause (torchvision ImageNet weights)",
    used_by="LPIPS (VGG backbone)",
    subdir=TORCH_HUB,
)

VERSION = "0.1"
"""LPIPS linear layers version."""

BACKBONES: dict[str, str] = {"alex": "alexnet", "vgg": "vgg16"}
"""LPIPS net name -> weights registry entry of its torchvision backbone."""

_LOCK = threading.RLock()
_MODELS: dict[tuple[str, str, str, int], Any] = {}
"""Constructed models by (net, device, backbone path, backbone mtime_ns)."""


def clear_cache() -> None:
    """Forget the constructed models and verified files (tests, or after reinstalling weights)."""
    with _LOCK:
        _MODELS.clear()
    weights.forget_verified()


def backbone_entry_name(net: str) -> str:
    """The weights registry name of `net`'s backbone ("alex" -> "alexnet", "vgg" -> "vgg16")."""
    try:
        return BACKBONES[net]
    except KeyError:
        raise BenchError(f"LPIPS net {net!r} is not supported; use one of {', '.join(BACKBONES)}") from None


def require_backbone(net: str = "alex") -> tuple[Path, str]:
    """(path, sha256) of the verified backbone file of `net`; WeightsMissing with the install command otherwise."""
    return weights.verified(backbone_entry_name(net))


def _build_model(net: str, backbone: Path, device: str) -> Any:
    """Construct lpips.LPIPS with torchvision reading the backbone from talkbench's cache."""
    import torch

    from talkbench.infra.torchvision_compat import import_torchvision

    import_torchvision()
    import lpips

    hub_dir = backbone.parent.parent  # .../torch_hub/checkpoints/<file> -> .../torch_hub
    if backbone.parent.name != "checkpoints":
        raise BenchError(f"{backbone}: torchvision backbones must live under a torch hub 'checkpoints' folder")
    previous = getattr(torch.hub, "_hub_dir", None)
    torch.hub.set_dir(str(hub_dir))
    try:
        expected = Path(torch.hub.get_dir()) / "checkpoints" / backbone.name
        if expected.resolve() != backbone.resolve():  # torchvision would otherwise download
            raise BenchError(f"torch hub would look for {expected}, not the verified {backbone}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torchvision's "pretrained is deprecated"
            model = lpips.LPIPS(net=net, version=VERSION, verbose=False)
    finally:
        torch.hub._hub_dir = previous  # restore exactly (None means "follow $TORCH_HOME")
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model.to(device)


def get_model(net: str = "alex", device: str = "cpu") -> tuple[Any, Path, str]:
    """(model, backbone path, backbone sha256); models are cached in-process per net, device and file state."""
    backbone, digest = require_backbone(net)
    device = resolve_device(device)
    key = (net, device, str(backbone), backbone.stat().st_mtime_ns)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = _build_model(net, backbone, device)
            _MODELS[key] = model
    return model, backbone, digest
