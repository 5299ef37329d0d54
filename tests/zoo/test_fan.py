"""FAN (`talkbench.zoo.fan`): face_alignment's two files as registry entries, and no model without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.core.errors import WeightsMissing
from talkbench.infra import weights
from talkbench.zoo.fan import FILES, load_fan


def test_entries_are_face_alignments_files_under_the_torch_hub() -> None:
    for name in FILES:
        entry = weights.get_entry(name)
        assert entry.subdir == "torch_hub/checkpoints" and entry.sha256 in entry.filename
        assert "adrianbulat.com" in entry.url and "face-alignment" in entry.licence


def test_missing_files_say_how_to_install(bench_home: Path) -> None:
    with pytest.raises(WeightsMissing, match="bench weights install fan_s3fd"):
        load_fan("cpu")
