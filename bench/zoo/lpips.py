"""LPIPS (Zhang et al. 2018) networks: the torchvision backbones' weights entries and `lpips.LPIPS` built over them.

The backbone is torchvision's ImageNet file. Left to itself, `lpips` asks torchvision for it, and torchvision's
hub loader reads it with `torch.load(weights_only=False)` (and downloads it when absent, without checking the
hash of a cached copy): a file matching the published 8-hex-digit prefix of the hash could then run code.
talkbench never lets torchvision load it: the network is built with a random trunk (`pnet_rand=True`, nothing
read), and the trunk's layers get the state dict of the sha256-checked file, read by
`talkbench.infra.weights.load_state_dict` (`torch.load(weights_only=True)`: tensors only). The LPIPS linear
layers (v0.1) ship inside the `lpips` wheel and are read the same way.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError, WeightsMissing
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
    """lpips.LPIPS with its trunk and linear layers loaded from state dicts read with weights_only (no pickled code)."""
    import torch

    from talkbench.infra.torchvision_compat import import_torchvision

    import_torchvision()
    import lpips

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's "pretrained is deprecated"
        # pnet_rand: a random trunk (torchvision reads no file); pretrained=False: no linear layers read by lpips
        model = lpips.LPIPS(net=net, version=VERSION, pnet_rand=True, pretrained=False, verbose=False)
    trunk = weights.load_state_dict(backbone_entry_name(net))
    try:
        # lpips slices torchvision's `features` Sequential: slice<k>.<i>.* is features.<i>.*
        model.net.load_state_dict({name: trunk[f"features.{name.split('.', 1)[1]}"] for name in model.net.state_dict()})
    except (KeyError, RuntimeError) as exc:
        raise WeightsMissing(f"{backbone}: not torchvision's {backbone_entry_name(net)} ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:160]}); reinstall with: "
                             f"{weights.get_entry(backbone_entry_name(net)).install_hint()}") from exc
    linear = Path(lpips.__file__).parent / "weights" / f"v{VERSION}" / f"{net}.pth"
    state = torch.load(linear, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(k.split(".")[0] in {f"lin{i}" for i in range(len(model.chns))} for k in missing):
        # (`lins.<i>` are the same layers as `lin<i>`, listed twice by the state dict; the trunk was loaded above)
        raise BenchError(f"{linear}: the lpips wheel's v{VERSION} {net} layers do not fit (missing {missing}, unexpected {unexpected})")
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
