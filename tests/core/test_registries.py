"""The method and metric registries (core/registries.py): the built-in entries resolve."""

from __future__ import annotations

import pytest

from talkbench.core.errors import UnknownNameError


def test_builtin_plugins_resolve() -> None:
    from talkbench.core.registries import METHODS, METRICS

    assert {"oracle", "static", "retrieval"} <= set(METHODS.names())
    assert METHODS.get("static").name == "static"
    assert {"psnr", "ssim", "lpips"} <= set(METRICS.names())
    with pytest.raises(UnknownNameError, match="did you mean 'lpips'"):
        METRICS.get("lpip")
