"""The user's own dataset cards (bench/datasets/user_cards.py) and how the card registry reads them beside the shipped
cards (bench/datasets/cards.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from talkbench.core.errors import BenchError
from talkbench.datasets.cards import cards, get_card, prepared_dir
from talkbench.datasets.user_cards import card_text, check_name, remove_user_card, user_card, write_user_card
from talkbench.infra.notes import collecting


def _write(name: str, video: str = "/videos/me.mp4") -> Path:
    return write_user_card(user_card(name, video, None, 25.0, "ab" * 32, size=(480, 640)))


def test_the_card_says_what_the_video_is(bench_home: Path) -> None:
    card = user_card("me", "/videos/me.mp4", "/videos/me.wav", 30.0, "ab" * 32, "cd" * 32, size=(480, 640))
    data = tomllib.loads(card_text(card.data))
    assert data == card.data
    assert data["kind"] == "video" and data["tasks"] == ["reconstruct", "lipsync"] and data["fps"] == 30.0
    assert data["description"] == "user video from /videos/me.mp4" and data["licence"] == "the user's own"
    assert data["source_sha256"] == "ab" * 32 and data["audio_sha256"] == "cd" * 32 and data["sample_rate"] == 16000
    assert data["resolution"] == {"expected": 480, "smoke": 128, "lipsync": 256, "cpu-long": 256, "paper": 480}
    assert card.path == bench_home / "cards" / "me.toml" and card.user


def test_strings_survive_toml() -> None:
    tricky = 'C:\\videos\\"quoted" ünïcode\tname.mp4'
    assert tomllib.loads(card_text({"name": "x", "source": tricky}))["source"] == tricky


def test_names_are_plain_words_and_never_a_shipped_card(bench_home: Path) -> None:
    check_name("me_2024-take-1")
    for bad in ("", "a b", "../up", "-x", "x" * 65, "me.toml"):
        with pytest.raises(BenchError, match="use letters, digits"):
            check_name(bad)
    with pytest.raises(BenchError, match=r"--name may: a shipped dataset card has that name .*may.toml"):
        check_name("may")


def test_the_registry_reads_user_cards_and_sees_them_come_and_go(bench_home: Path) -> None:
    assert "me" not in cards()
    _write("me")
    assert get_card("me").user and get_card("me").data["source"] == "/videos/me.mp4"
    assert not get_card("may").user
    check_name("me")  # the user's own name may be prepared again
    prepared_dir(get_card("me")).mkdir(parents=True)
    (prepared_dir(get_card("me")) / "clip.json").write_text("{}")
    removed, _ = remove_user_card("me")
    assert removed == [bench_home / "data" / "me", bench_home / "cards" / "me.toml"]
    assert "me" not in cards() and not (bench_home / "data" / "me").exists()


def test_a_shipped_card_is_never_removed(bench_home: Path) -> None:
    with pytest.raises(BenchError, match=r"^may is a shipped dataset card: bench data remove deletes only your own"):
        remove_user_card("may")


def test_a_user_file_named_like_a_shipped_card_is_skipped(bench_home: Path) -> None:
    (bench_home / "cards").mkdir(parents=True)
    (bench_home / "cards" / "may.toml").write_text('name = "may"\nkind = "video"\ndescription = "mine"\n')
    (bench_home / "cards" / "broken.toml").write_text("name = [\n")
    with collecting() as notes:
        assert get_card("may").data["description"] != "mine" and "broken" not in cards()
    assert any("user card 'may' is named like a card read before it" in n for n in notes)
    assert any("broken.toml: invalid dataset card" in n and "bench data remove broken deletes it" in n for n in notes)
    removed, _ = remove_user_card("broken")
    assert removed == [bench_home / "cards" / "broken.toml"] and not removed[0].exists()


def test_a_user_card_is_named_like_its_file(bench_home: Path) -> None:
    (bench_home / "cards").mkdir(parents=True)
    (bench_home / "cards" / "mine.toml").write_text('name = "../elsewhere"\nkind = "video"\n')
    with collecting() as notes:
        assert "../elsewhere" not in cards() and "mine" not in cards()
    assert any("user card named '../elsewhere', not 'mine' like its file; skipped" in n for n in notes)
