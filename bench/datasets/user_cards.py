"""The user's own dataset cards: `bench data prepare --name NAME --video PATH` describes the video in
`$BENCH_HOME/cards/NAME.toml`, which `talkbench.datasets.cards` reads beside the shipped cards (a shipped card's name
cannot be taken); `bench data remove NAME` deletes such a card and its prepared data, never a shipped one.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.datasets.cards import Card, cards, get_card
from talkbench.infra.atomic import atomic_write_text
from talkbench.infra.paths import bench_home, data_dir, folder_bytes, user_cards_dir

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""A user card's name: it becomes a file name, a folder name and part of run ids."""

SMOKE_RESOLUTION = 128
"""Frame size of the smoke profile, as on the shipped video cards."""

LIPSYNC_RESOLUTION = 256
"""Frame size of the lipsync profile (the lipsync task's default), as on the synthetic cards."""

CPU_LONG_RESOLUTION = 256
"""Frame size of the cpu-long profile, as on the shipped video cards."""


def check_name(name: str) -> None:
    """Refuse a name that is not a plain word or that a shipped card has (BenchError, one line)."""
    if not NAME_PATTERN.fullmatch(name):
        raise BenchError(f"--name {name!r}: use letters, digits, '-' and '_' (at most 64, the first a letter or digit)")
    if name in cards() and not get_card(name).user:
        raise BenchError(f"--name {name}: a shipped dataset card has that name ({get_card(name).path}); choose another name "
                         f"(bench list datasets shows the taken ones)")


def user_card(name: str, video: str | Path, audio: str | Path | None, fps: float, video_sha256: str,
              audio_sha256: str | None = None, size: tuple[int, int] | None = None) -> Card:
    """The card of the user's video `video` (and separate `audio`), at `fps`; `size` (height, width) of the prepared
    frames sets the resolutions (paper and expected: the source's own; smoke 128 px), unknown before decoding."""
    video = Path(video).expanduser().resolve()
    data: dict[str, Any] = {
        "name": name, "kind": "video", "tasks": ["reconstruct", "lipsync"],
        "description": f"user video from {video}", "source": str(video), "source_sha256": video_sha256,
        "licence": "the user's own", "fps": fps, "sample_rate": 16000,
        "split": "first int(N*10/11) frames train, the rest test",
    }
    if audio is not None:
        data["audio"] = str(Path(audio).expanduser().resolve())
        data["audio_sha256"] = audio_sha256 or ""
    if size is not None:
        # square sizes, as every card: a non-square source keeps its frames at `paper` and is squeezed square below it
        data["resolution"] = {"expected": int(size[0]), "smoke": SMOKE_RESOLUTION, "lipsync": LIPSYNC_RESOLUTION,
                              "cpu-long": CPU_LONG_RESOLUTION, "paper": int(size[0])}
    return Card(name=name, path=user_cards_dir() / f"{name}.toml", data=data, user=True)


def write_user_card(card: Card) -> Path:
    """Write (or replace) the user card's file atomically; returns its path."""
    bench_home()  # creates $BENCH_HOME, or says why it cannot
    card.path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(card.path, card_text(card.data))
    return card.path


def remove_user_card(name: str) -> tuple[list[Path], int]:
    """Delete a user card and its prepared data (every version); stored results stay. Returns what was removed and
    how many bytes of data it held.

    A shipped card is refused (BenchError, one line): its prepared data is the user's to delete by hand. A card file of
    the user's that does not load (the card listing's note names it) is removed too."""
    unreadable = user_cards_dir() / f"{name}.toml"
    card = (Card(name=name, path=unreadable, data={}, user=True) if name not in cards() and unreadable.is_file()
            else get_card(name))
    if not card.user:
        raise BenchError(f"{name} is a shipped dataset card: bench data remove deletes only your own cards (bench data "
                         f"prepare --name); its prepared data, if any, is in {data_dir() / name}")
    removed = []
    folder = data_dir() / card.name
    size = folder_bytes(folder)
    if folder.exists():
        shutil.rmtree(folder)
        removed.append(folder)
    card.path.unlink(missing_ok=True)
    removed.append(card.path)
    return removed, size


def card_text(data: dict[str, Any]) -> str:
    """A card as TOML: top-level values, then one level of tables (all a card has)."""
    lines = [f"# Dataset card written by `bench data prepare --name {data['name']}`; `bench data remove "
             f"{data['name']}` deletes it and its prepared data."]
    lines += [f"{key} = {_toml_value(value)}" for key, value in data.items() if not isinstance(value, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    """One TOML value; JSON's string escapes are TOML's basic-string escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")
