"""The torchvision import shim (infra/torchvision_compat.py)."""

from __future__ import annotations


def test_import_torchvision_is_idempotent() -> None:
    from talkbench.infra.torchvision_compat import import_torchvision

    tv1 = import_torchvision()
    tv2 = import_torchvision()
    assert tv1 is tv2 and hasattr(tv1.models, "alexnet")
