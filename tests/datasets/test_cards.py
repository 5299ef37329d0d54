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


def test_the_lipsync_profile_meets_syncnet_minimums_on_both_synthetic_cards():
    from talkbench.datasets.cards import get_card

    for name in ("synthetic-portrait", "synthetic-portrait-wild"):
        card = get_card(name)
        data = card.data_for("lipsync")
        frames = int(round(data["generator"]["seconds"] * card.data["fps"]))
        test_frames = frames - int(frames * 10 / 11)
        assert test_frames >= 100, "syncnet_python scores face tracks of at least 100 frames"
        x0, y0, x1, y1 = data["generator"]["crop"]
        face_px = 2 * data["generator"]["jaw_half_width"] * card.resolution("lipsync") / (x1 - x0)
        assert x1 - x0 == y1 - y0 and face_px >= 100, "syncnet_python's minimum face size"
        # Only the profile's tables change; the smoke data is what it was.
        assert card.data_for("smoke") is card.data and card.data_for("lipsync")["generator"]["seed"] == card.data["generator"]["seed"]
        assert "profiles" not in data


def test_profile_overrides_must_update_a_table(tmp_path):
    import pytest

    from talkbench.core.errors import BenchError
    from talkbench.datasets.cards import Card

    card = Card("x", tmp_path / "x.toml", {"generator": {"seconds": 1.0, "seed": 3}, "fps": 25,
                                            "profiles": {"long": {"generator": {"seconds": 9.0}}, "bad": {"fps": 30}}})
    assert card.data_for("long")["generator"] == {"seconds": 9.0, "seed": 3}
    assert card.data_for("other") is card.data
    with pytest.raises(BenchError, match=r"x.toml: \[profiles.bad.fps\] must update a table"):
        card.data_for("bad")
