"""Dataset cards (declarative TOML files in `datasets/`) and loading a card's Clip for a profile."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from tqdm import tqdm

from talkbench.io.clip_store import load_clip, read_clip, write_clip
from talkbench.core.errors import BenchError
from talkbench.infra import numerics
from talkbench.infra.cache_entry import cached
from talkbench.infra.hashing import code_version, stable_hash
from talkbench.infra.notes import note
from talkbench.infra.paths import cards_override, data_dir, user_cards_dir
from talkbench.infra.resources import resource_files
from talkbench.core.registry import Registry
from talkbench.core.types import Clip

if TYPE_CHECKING:
    from talkbench.datasets.speech_set import SpeechSet


@dataclass(frozen=True)
class Card:
    """A parsed dataset card."""

    name: str
    path: Path
    data: dict[str, Any]
    user: bool = False
    """True for the user's own card (`$BENCH_HOME/cards/`, written by `bench data prepare --name`)."""

    @property
    def kind(self) -> str:
        """'synthetic' (generated here) or 'video' (prepared from a local file)."""
        return self.data.get("kind", "video")

    @property
    def tasks(self) -> list[str]:
        """Tasks this dataset serves."""
        return list(self.data.get("tasks", ["reconstruct"]))

    def data_for(self, profile: str) -> dict[str, Any]:
        """The card's data with the profile's overrides applied: each table under `[profiles.<profile>]` (such as
        `generator`) updates the card's table of that name, key by key."""
        overrides = self.data.get("profiles", {}).get(profile, {})
        if not overrides:
            return self.data
        data = {k: v for k, v in self.data.items() if k != "profiles"}
        for table, values in overrides.items():
            if not isinstance(values, dict) or not isinstance(data.get(table, {}), dict):
                raise BenchError(f"{self.path}: [profiles.{profile}.{table}] must update a table of the card")
            data[table] = {**data.get(table, {}), **values}
        return data

    def resolution(self, profile: str) -> int:
        """Frame size (square, pixels) for a profile."""
        res = self.data.get("resolution", {})
        if profile not in res:
            raise BenchError(f"{self.path}: card has no resolution for profile {profile!r} (has {sorted(res)})")
        return int(res[profile])


def _load_cards() -> Registry[Card]:
    registry: Registry[Card] = Registry("dataset")
    override = cards_override()
    paths = sorted(override.glob("*.toml")) if override is not None else resource_files("cards", ".toml")
    for path in paths:
        card = _read_card(path)
        registry.register(card.name)(card)
    for path in sorted(user_cards_dir().glob("*.toml")):
        try:
            card = _read_card(path, user=True)
        except BenchError as exc:  # one broken file of the user's must not stop every command
            note(f"{exc}; skipped (bench data remove {path.stem} deletes it)")
            continue
        if card.name != path.stem:  # the name becomes a folder under $BENCH_HOME/data: only the file's own
            note(f"{path}: user card named {card.name!r}, not {path.stem!r} like its file; skipped (rename one of them)")
            continue
        if card.name in registry:
            note(f"{path}: user card {card.name!r} is named like a card read before it (a shipped one, or another file "
                 "of yours); skipped (rename or delete the file)")
            continue
        registry.register(card.name)(card)
    return registry


def _read_card(path: Path, user: bool = False) -> Card:
    """Parse one card file; BenchError naming it when it is not valid TOML."""
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: invalid dataset card ({exc})") from exc
    return Card(name=data.get("name", path.stem), path=path, data=data, user=user)


_CARDS: Registry[Card] | None = None
_CARDS_KEY: tuple[object, ...] = ()


def cards() -> Registry[Card]:
    """The registry of dataset cards: the shipped ones (or `$BENCH_CARDS`) and the user's own. Read again when the
    user cards' folder changes (a card written or removed; another `$BENCH_HOME`)."""
    global _CARDS, _CARDS_KEY
    folder = user_cards_dir()
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (cards_override(), folder, stamp)
    if _CARDS is None or key != _CARDS_KEY:
        _CARDS, _CARDS_KEY = _load_cards(), key
    return _CARDS


def get_card(name: str) -> Card:
    """A card by name, with "did you mean" on a typo."""
    return cards().get(name)


def prepared_dir(card: Card) -> Path:
    """Where `bench data prepare` puts a video card's clip."""
    return data_dir() / card.name / "prepared"


def _generated_dir(card: Card, profile: str) -> Path:
    """Where a generated (synthetic) card's data for `profile` is cached: keyed by the card, the generator's code
    and the numerics mode."""
    if card.kind == "synthetic":
        from talkbench.datasets import synthetic

        resolution = card.resolution(profile)
        key = stable_hash({"card": card.data_for(profile), "resolution": resolution, "code": code_version(synthetic),
                           "numerics": numerics.active_mode()})
        return data_dir() / card.name / f"{profile}-{resolution}px-{key}"
    from talkbench.datasets import speech_set

    key = stable_hash({"card": card.data, "profile": profile, "code": code_version(speech_set),
                       "numerics": numerics.active_mode()})
    return data_dir() / card.name / f"{profile}-{key}"


def dataset_version(name: str, profile: str) -> str:
    """A cheap stamp of the data a job on `name` would load, without loading it: the generator's cache key for
    generated cards, the prepared files' names, sizes and times otherwise ("" when not prepared). Re-preparing or
    regenerating changes it."""
    card = get_card(name)
    if card.kind in ("synthetic", "speech-synthetic"):
        return _generated_dir(card, profile).name
    source = prepared_dir(card)
    if not source.is_dir():
        return ""
    stamp = [(str(p.relative_to(source)), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(source.rglob("*"))
             if p.is_file()]
    return stable_hash(stamp, 16)


def require_prepared(card: Card) -> Path:
    """The prepared folder of a card made from local data (video, speech corpus); BenchError saying how to prepare it
    when there is none. Generated cards need nothing."""
    source = prepared_dir(card)
    if card.kind == "video" and not (source / "clip.json").exists():
        raise BenchError(
            f"dataset {card.name!r} is not prepared (no {source}); talkbench downloads nothing: get the video "
            f"({card.data.get('source', 'see the card')}) and run: bench data prepare --card {card.name} --video PATH"
        )
    if card.kind == "speech-corpus" and not (source / "index.json").exists():
        raise BenchError(f"dataset {card.name!r} is not prepared (no {source}); talkbench downloads nothing: get it "
                         f"({card.data.get('source', 'see the card')}) and run: bench data prepare --card {card.name} --path DIR")
    return source


def load_dataset(name: str, profile: str) -> Clip:
    """The card's Clip at the profile's resolution: generated (synthetic) or prepared (video), cached."""
    card = get_card(name)
    if card.kind.startswith("speech"):
        raise BenchError(f"dataset {card.name!r} is speech only (task enhance); video tasks need a video dataset")
    resolution = card.resolution(profile)
    if card.kind == "synthetic":
        from talkbench.datasets import synthetic

        directory = _generated_dir(card, profile)
        key = directory.name.rsplit("-", 1)[1]

        def generate(tmp: Path) -> Clip:
            tqdm.write(f"generating {card.name} at {resolution}px (cached afterwards in {directory})")
            clip = synthetic.generate_portrait(card.data_for(profile), resolution)
            clip.meta["cache_key"] = key
            clip.meta["content_sha256"] = clip_fingerprint(clip)
            write_clip(clip, tmp)
            return clip

        # Concurrent runs generate it once; a damaged copy is regenerated with a note.
        return cached(directory, generate, read_clip, label=f"{card.name} dataset")[0]
    source = require_prepared(card)
    clip = load_clip(source)
    if clip.resolution[0] != resolution:
        clip = resize_clip(clip, resolution)
    return clip


def load_speech(name: str, profile: str) -> "SpeechSet":
    """An `enhance` dataset: generated (speech-synthetic, cached) or prepared (speech-corpus)."""
    from talkbench.datasets import speech_set

    card = get_card(name)
    if card.kind == "speech-synthetic":
        directory = _generated_dir(card, profile)
        key = directory.name.rsplit("-", 1)[1]

        def generate(tmp: Path) -> "SpeechSet":
            speech = speech_set.generate_noisy_speech(card.data, profile)
            speech.meta["cache_key"] = key
            speech.meta["content_sha256"] = speech_fingerprint(speech)
            speech_set.write_speech_set(speech, tmp)
            return speech

        return cached(directory, generate, speech_set.read_speech_set, label=f"{card.name} dataset")[0]
    if card.kind == "speech-corpus":
        source = require_prepared(card)
        speech = speech_set.load_speech_set(source)
        speech.meta.setdefault("content_sha256", speech_fingerprint(speech))
        return speech
    raise BenchError(f"dataset {card.name!r} is a {card.kind} dataset, not speech (task enhance needs a speech dataset)")


def speech_fingerprint(speech: "SpeechSet") -> str:
    """SHA-256 of a speech set's samples."""
    import hashlib

    digest = hashlib.sha256()
    for u in speech.utterances:
        digest.update(np.ascontiguousarray(u.noisy).tobytes())
        digest.update(np.ascontiguousarray(u.clean).tobytes())
    return digest.hexdigest()[:16]


def resize_clip(clip: Clip, size: int) -> Clip:
    """Square-resize frames (area interpolation) and scale landmark annotations to match."""
    h, w = clip.resolution
    frames = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in clip.frames])
    annotations = dict(clip.annotations)
    if "landmarks" in annotations:
        annotations["landmarks"] = annotations["landmarks"] * np.array([size / w, size / h], dtype=np.float32)
    for key, value in list(annotations.items()):
        if value.ndim >= 3 and value.shape[1:3] == (h, w):
            annotations[key] = np.stack([cv2.resize(v, (size, size), interpolation=cv2.INTER_NEAREST if v.dtype == np.uint8 and v.ndim == 2 else cv2.INTER_AREA) for v in value])
    return Clip(name=clip.name, frames=frames, fps=clip.fps, audio=clip.audio, sample_rate=clip.sample_rate,
                annotations=annotations, audio_tracks=clip.audio_tracks, n_train=clip.n_train,
                meta=dict(clip.meta, resized_from=[h, w]))


def clip_fingerprint(clip: Clip) -> str:
    """SHA-256 of a clip's frames and audio (recorded with results so baselines compare like with like)."""
    import hashlib

    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(clip.frames).tobytes())
    digest.update(np.ascontiguousarray(clip.audio).tobytes())
    return digest.hexdigest()[:16]
