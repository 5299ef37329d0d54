"""Import torchvision on CPU-only torch: the one place talkbench works around the CUDA build.

Why this exists: torchvision 0.28.0 is the only release paired with torch 2.13.0, and its
wheel is a CUDA build. On the CPU torch wheel its compiled extension does not load, so the
operator schemas it would register are absent, and ``import torchvision`` dies while
registering fake (meta) kernels with ``operator torchvision::nms does not exist``.

Defining the two schemas that torchvision's Python side refers to at import time
(``torchvision::nms`` and ``torchvision::qnms``) lets the import finish. The models
(alexnet, vgg16 — what LPIPS needs) then work; ``torchvision.ops.nms`` itself stays
unusable (there is no kernel behind the schema). The shim is only installed when the
plain import fails, so a CUDA machine with a matching torch never sees it.

Use ``import_torchvision()`` instead of ``import torchvision`` anywhere in talkbench.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType

import torch

_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}

_LIB: torch.library.Library | None = None
"""The Library holding the shim's schemas; kept alive here (dropping it unregisters them)."""

_LOCK = threading.Lock()


def _op_exists(name: str) -> bool:
    try:
        torch._C._dispatch_find_schema_or_throw(f"torchvision::{name}", "")
    except RuntimeError:
        return False
    return True


def _define_missing_schemas() -> list[str]:
    """Define the torchvision op schemas that are not registered yet; returns their names."""
    global _LIB
    missing = [name for name in _SCHEMAS if not _op_exists(name)]
    if missing:
        if _LIB is None:
            _LIB = torch.library.Library("torchvision", "DEF")
        for name in missing:
            _LIB.define(_SCHEMAS[name])
    return missing


def _forget_partial_import() -> None:
    for mod in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[mod]


def shim_active() -> bool:
    """True when torchvision was imported through the schema shim (its ops are unusable)."""
    return _LIB is not None


def import_torchvision() -> ModuleType:
    """The torchvision module, importing it through the CPU shim only if the plain import fails.

    Idempotent and thread-safe: later calls return the already imported module.
    """
    with _LOCK:
        module = sys.modules.get("torchvision")
        if module is not None and hasattr(module, "models"):
            return module
        try:
            import torchvision
        except RuntimeError as exc:
            if "torchvision::" not in str(exc):
                raise
            _forget_partial_import()
            _define_missing_schemas()
            import torchvision
        # Touch the model zoo so a failure surfaces here, not deep inside a metric.
        import torchvision.models  # noqa: F401

        return torchvision
