"""`noisereduce` (methods/enhance/spectral_gating.py): registered, with the library's version recorded."""

from __future__ import annotations

from importlib import metadata

import talkbench.methods.enhance.spectral_gating as gating_mod
from talkbench.core.registries import METHODS


def test_noisereduce_records_library_version() -> None:
    assert gating_mod.SpectralGating.library_version == metadata.version("noisereduce")
    assert METHODS.get("noisereduce") is gating_mod.SpectralGating
