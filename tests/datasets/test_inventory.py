"""What each card has on disk (bench/datasets/inventory.py), read from headers only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from talkbench.core.types import Clip
from talkbench.datasets.cards import get_card, prepared_dir
from talkbench.datasets.inventory import holding, holdings
from talkbench.datasets.user_cards import user_card, write_user_card
from talkbench.io.clip_store import save_clip


def _clip(name: str, frames: int = 50) -> Clip:
    return Clip(name, np.zeros((frames, 8, 8, 3), np.uint8), 25.0, np.zeros(frames * 640, np.float32),
                meta={"source_video": f"/videos/{name}.mp4"})


def test_prepared_and_unprepared_cards(bench_home: Path) -> None:
    write_user_card(user_card("me", "/videos/me.mp4", None, 25.0, "0" * 64, size=(8, 8)))
    assert holding(get_card("me")).state == "not prepared" and holding(get_card("me")).source == "/videos/me.mp4"
    save_clip(_clip("me"), prepared_dir(get_card("me")))
    (prepared_dir(get_card("me")).parent / "versions" / "0123").mkdir(parents=True)
    mine = holding(get_card("me"))
    assert (mine.state, mine.frames, mine.seconds, mine.source, mine.versions) == ("prepared", 50, 2.0, "/videos/me.mp4", 1)
    assert mine.bytes == sum(p.stat().st_size for p in (bench_home / "data" / "me").rglob("*") if p.is_file()) > 0
    listed = holdings()
    assert [h.card.user for h in listed] == sorted(h.card.user for h in listed)  # shipped first, then the user's
    assert {h.card.name: h.state for h in listed}["may"] == "not prepared"
    assert {h.card.name: h.state for h in listed}["synthetic-portrait"] == "not generated"


def test_an_old_clip_and_a_damaged_one(bench_home: Path) -> None:
    where = prepared_dir(get_card("may"))
    where.mkdir(parents=True)
    np.savez(where / "arrays.npz", frames=np.zeros((60, 4, 4, 3), np.uint8), audio=np.zeros(10, np.float32))
    (where / "clip.json").write_text(json.dumps({"name": "may", "fps": 25.0, "sample_rate": 16000, "n_train": 54,
                                                 "meta": {"source_video": "/v/may.mp4"}}))
    old = holding(get_card("may"))
    assert old.state.startswith("prepared (uncompressed") and old.frames == 60 and old.seconds == 2.4
    (where / "clip.json").write_text("{ not json")
    assert holding(get_card("may")).state.startswith(f"damaged: {where / 'clip.json'}")
