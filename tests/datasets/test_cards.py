"""The shipped dataset cards (datasets/*.toml, read by datasets/cards.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CARDS = Path(__file__).resolve().parents[2] / "datasets"


def test_cards_parse_and_declare_what_the_loader_needs():
    for name in ("synthetic-portrait", "synthetic-portrait-wild"):
        card = tomllib.loads((CARDS / f"{name}.toml").read_text())
        assert card["name"] == name and card["kind"] == "synthetic"
        assert card["fps"] == 25 and card["sample_rate"] == 16000
        assert card["resolution"]["smoke"] == 128 and card["resolution"]["paper"] == 512
        assert card["generator"]["seconds"] >= 20
        assert card["generator"]["speech_sources"] == ["espeak"]
    assert "wild" in tomllib.loads((CARDS / "synthetic-portrait-wild.toml").read_text())
