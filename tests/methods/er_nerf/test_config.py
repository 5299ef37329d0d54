"""ER-NeRF's config (methods/er_nerf/config.py): switch values are checked."""

from __future__ import annotations

import pytest


def test_switch_values_are_checked() -> None:
    from talkbench.core.errors import BenchError
    from talkbench.methods.er_nerf.config import ERNeRFConfig

    assert ERNeRFConfig().updated({"audio.attention": "off"}).audio.attention is False
    with pytest.raises(BenchError):
        ERNeRFConfig().updated({"audio.attention": "of"})
