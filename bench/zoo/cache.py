"""Networks built once per process, keyed by the verified file they were built from, and strict state-dict loading.

Two policies: `cached` keeps every (network, device, file) it built (SyncNet and S3FD: small, and one LSE
evaluation needs both); `cached_one` keeps one model per network (HuBERT-large and wav2vec2-large are GBs: a
process that switches files must not hold both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from talkbench.core.errors import WeightsMissing
from talkbench.infra import weights

_LOCK = threading.RLock()
_MODELS: dict[tuple[str, str, str, int, str], Any] = {}
"""Built models by (weights name, device, path, mtime_ns, sha256)."""

_ONE_LOCK = threading.Lock()
_ONE: dict[tuple[str, str, str, str], Any] = {}
"""Loaded models by (network, path, sha256, device), at most one per network: loading HuBERT-large takes seconds."""


def clear_cache() -> None:
    """Forget the built models and verified files (tests, or after reinstalling weights)."""
    with _LOCK:
        _MODELS.clear()
    with _ONE_LOCK:
        _ONE.clear()
    weights.forget_verified()


def load_strict(name: str, model: Any) -> Any:
    """`model` with the verified state dict of entry `name` loaded strictly; WeightsMissing when the file does not fit."""
    state = weights.load_state_dict(name, map_location="cpu")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        entry = weights.get_entry(name)
        raise WeightsMissing(f"{entry.path}: does not match the expected network ({str(exc).splitlines()[0][:160]}); "
                             f"reinstall with: {entry.install_hint()}") from exc
    return model


def cached(name: str, device: str, build: Callable[[str], Any]) -> tuple[Any, str]:
    """(`build(device)`, file sha256) for entry `name`, built once per device and file state."""
    path, digest = weights.verified(name)
    key = (name, device, str(path), path.stat().st_mtime_ns, digest)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = build(device)
            _MODELS[key] = model
    return model, digest


def cached_one(key: tuple[str, str, str, str], load: Callable[[], Any]) -> Any:
    """`load()` once per key (network, path, sha256, device), dropping the network's other models first."""
    with _ONE_LOCK:
        if key not in _ONE:
            for old in [k for k in _ONE if k[0] == key[0]]:  # one model per network: they are GBs
                del _ONE[old]
            _ONE[key] = load()
        return _ONE[key]
