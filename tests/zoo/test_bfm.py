"""The Basel Face Model entry (`talkbench.zoo.bfm`): converted on install by face3d's converter, never downloaded."""

from __future__ import annotations

import importlib

import pytest

from talkbench.core.errors import BenchError
from talkbench.infra import weights


def test_entry_converts_with_face3d_and_installs_from_a_local_file(bench_home) -> None:
    from talkbench.face3d.morphable_model import REGISTRY_NAME, install_converter

    entry = weights.get_entry(REGISTRY_NAME)
    module, _, function = entry.convert.partition(":")
    assert getattr(importlib.import_module(module), function) is install_converter
    assert entry.source_file == "3DMM_info.npy" and "faces.dmi.unibas.ch" in entry.install_hint()
    with pytest.raises(BenchError, match="converted from a local file"):
        weights.install(REGISTRY_NAME, "https://faces.dmi.unibas.ch/bfm/01_MorphableModel.mat")
