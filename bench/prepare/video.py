"""`bench data prepare`: turn a local talking-portrait video into a Clip (the card's frame rate, 25 fps unless it says
otherwise; 16 kHz mono; split).

Another frame rate, constant (30 fps) or variable (a phone's 22.13 fps average), is converted by timestamp: each
output frame is the source frame shown nearest to its time (`nearest_frames`), so frames are dropped or repeated, never
blended, and the audio, resampled to 16 kHz on its own clock, stays in sync. A clip whose test split would be under
`MIN_TEST_FRAMES` is refused (`check_length`).

A video card's clip is then annotated for the NeRF methods (landmarks, head pose, head/torso masks,
background, eye ratio; `talkbench.prepare.preprocess`, whose docstring gives the on-disk layout), unless
`annotate=False` (`--no-annotate`): then it holds frames and audio only, enough for the baselines.
`wanted` (`--for METHOD`) asks for other annotations; `complete_prepared` adds the missing ones to a clip
prepared before (only their passes run), so a method's annotation never means preparing the video again.
A directory made by the official ER-NeRF / RAD-NeRF / AD-NeRF scripts is imported by
`talkbench.prepare.official_import.import_official` instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
from tqdm import tqdm

from talkbench.datasets.cards import get_card, prepared_dir
from talkbench.io.clip_store import load_clip, save_clip
from talkbench.core.errors import BenchError, InputError
from talkbench.io.audio import read_audio
from talkbench.io.video import read_timed_video
from talkbench.core.types import MIN_TEST_FRAMES, Clip, SAMPLE_RATE, min_clip_frames

if TYPE_CHECKING:
    from talkbench.datasets.cards import Card
    from talkbench.prepare.options import PreprocessOptions
    from talkbench.datasets.speech_set import SpeechSet

TARGET_FPS = 25.0
"""The frame rate a video card's clip gets unless its card says otherwise (`fps`; `bench data prepare --name --fps`)."""


def nearest_frames(times: np.ndarray, duration: float, fps: float) -> np.ndarray:
    """Frame-rate conversion by timestamp: for each time k/fps in [0, duration), the index of the source frame whose
    presentation time (`times`, seconds, increasing) is nearest; ties take the earlier frame."""
    targets = np.arange(int(np.floor(duration * fps + 1e-6))) / fps
    if len(times) < 2:
        return np.zeros(len(targets), dtype=int)
    right = np.clip(np.searchsorted(times, targets), 1, len(times) - 1)
    left = right - 1
    return np.where(targets - times[left] <= times[right] - targets, left, right)


def conform_frames(frames: np.ndarray, times: np.ndarray, nominal_fps: float, fps: float,
                   source: str) -> tuple[np.ndarray, list[str]]:
    """`frames` at `fps`: kept as they are when they already come at that constant rate, otherwise resampled in time
    by `nearest_frames` (the audio keeps its clock, so picture and sound stay aligned); a note says what was done."""
    steps = np.diff(times)
    step = float(np.median(steps)) if len(steps) else 1.0 / nominal_fps
    if len(steps) and np.all(np.abs(steps - 1.0 / fps) <= 0.01 / fps):
        return frames, []
    variable = len(steps) and float(steps.max() - steps.min()) > 0.01 * step
    rate = (f"a variable frame rate (average {nominal_fps:.2f} fps, frames {steps.min() * 1e3:.0f}-{steps.max() * 1e3:.0f} ms "
            f"apart)" if variable else f"{nominal_fps:g} fps")
    idx = nearest_frames(times, float(times[-1]) + step, fps)
    kept = len(np.unique(idx))
    return frames[idx], [f"{source}: {rate} converted to {fps:g} fps ({len(idx)} frames): each frame is the source frame "
                         f"nearest in time to its timestamp, the audio keeps its clock ({len(frames) - kept} source frames "
                         f"dropped, {len(idx) - kept} repeated)"]


def prepare_video(card: "Card | str", video_path: str | Path, audio_path: str | Path | None = None,
                  out_dir: Path | None = None, options: "PreprocessOptions | None" = None,
                  annotate: bool = True, wanted: Iterable[str] | None = None) -> tuple[Clip, list[str]]:
    """Decode, conform, annotate (`talkbench.prepare.preprocess`, with `options`) and store a card's clip.

    `card` is a card or its name (a user's card before it is written: `talkbench.datasets.user_cards`); the clip gets
    the card's frame rate (`fps`, default 25). Returns it with notes of every conversion made. `annotate=False` stores
    frames and audio only; `wanted` names the annotations to make (default:
    `talkbench.prepare.preprocess.requested_annotations(options)`).
    """
    from talkbench.prepare.preprocess import content_digest

    card = get_card(card) if isinstance(card, str) else card
    if card.kind != "video":
        raise BenchError(f"card {card.name!r} is {card.kind}: it is generated, not prepared from a video")
    if not annotate and options is not None and options.audio_features:
        raise BenchError("--audio-features is stored with the annotations: drop --no-annotate")
    fps = float(card.data.get("fps", TARGET_FPS))
    video, times, notes = read_timed_video(video_path)
    if audio_path is not None:
        audio, anotes = read_audio(audio_path)
        notes += anotes
        audio_source = str(audio_path)
    elif video.audio is not None:
        audio, audio_source = video.audio, str(video_path)
    else:
        raise InputError(f"{video_path}: no audio stream; pass --audio FILE")
    frames, fnotes = conform_frames(video.frames, times, video.fps, fps, str(video_path))
    notes += fnotes
    check_length(len(frames), video.num_frames, video.fps, str(video_path), fps)
    video_seconds = len(frames) / fps
    audio_seconds = len(audio) / SAMPLE_RATE
    if audio_seconds + 1.0 / fps < video_seconds:
        raise InputError(f"{audio_source}: audio is {audio_seconds:.2f} s, shorter than the video's {video_seconds:.2f} s")
    expected = int(round(video_seconds * SAMPLE_RATE))
    if len(audio) > expected:
        notes.append(f"{audio_source}: audio trimmed from {audio_seconds:.2f} s to the video's {video_seconds:.2f} s")
    audio = np.pad(audio[:expected], (0, max(0, expected - len(audio))))
    h, w = frames.shape[1:3]
    want = card.data.get("resolution", {}).get("expected")
    if want and (h, w) != (want, want):
        notes.append(f"{video_path}: frames are {w}x{h}, the papers used {want}x{want} for {card.name}")
    meta = {"source_video": str(video_path), "source_sha256": source_digest(video_path), "notes": notes, "card": card.name}
    if audio_path is not None:
        meta["source_audio"] = str(audio_path)
        meta["source_audio_sha256"] = source_digest(audio_path)
    annotations: dict[str, np.ndarray] = {}
    if annotate:
        from talkbench.prepare.options import PreprocessOptions
        from talkbench.prepare.preprocess import preprocess

        done = preprocess(frames, str(video_path), options or PreprocessOptions(), audio=audio, fps=fps, wanted=wanted)
        annotations = done.annotations
        notes += done.notes
        meta.update(done.meta)
    meta["content_sha256"] = content_digest(frames, audio, annotations, meta)
    clip = Clip(name=card.name, frames=frames, fps=fps, audio=audio, annotations=annotations, meta=meta)
    notes += store_version(clip, out_dir or prepared_dir(card))
    return clip, notes


def check_length(frames_out: int, frames: int, fps: float, source: str, target_fps: float = TARGET_FPS) -> None:
    """Refuse a clip whose test split (the last 1/11 of its `frames_out` frames at `target_fps`) is under
    `MIN_TEST_FRAMES`; `frames` at `fps` is what the source file holds (for the message)."""
    shortest = min_clip_frames()
    if frames_out < shortest:
        raise InputError(f"{source}: {frames} frames at {fps:g} fps ({frames / fps:.2f} s) is too short: its test split "
                         f"(the last 1/11) needs at least {MIN_TEST_FRAMES} frames (one 5-frame SyncNet window), so a clip "
                         f"needs at least {shortest} frames ({shortest / target_fps:g} s) at {target_fps:g} fps")


def store_version(clip: Clip, directory: Path) -> list[str]:
    """Store `clip` as the card's prepared clip; a prepared clip of other content is kept as an older version.

    A dataset's identity in results is its content hash (`meta["content_sha256"]`, recorded with every result):
    preparing the card from another video makes a new version rather than silently replacing the data that earlier
    results were computed on. The previous version moves to `<card>/versions/<content hash>/`; returns a note."""
    notes: list[str] = []
    old = _stored_meta(clip.name, directory)
    new_sha = str(clip.meta.get("content_sha256", ""))
    if old is not None and old.get("content_sha256") != new_sha:
        old_sha = str(old.get("content_sha256") or "unhashed")
        keep = directory.parent / "versions" / old_sha
        if keep.exists():  # the same content was kept before: this copy is redundant
            import shutil

            shutil.rmtree(directory)
        else:
            keep.parent.mkdir(parents=True, exist_ok=True)
            directory.rename(keep)
        notes.append(f"card {clip.name}: new dataset version {new_sha} (from {_source(clip.meta)}) replaces version "
                     f"{old_sha} (from {_source(old)}); results record the version they were computed on, and the old "
                     f"version is kept in {keep}")
    save_clip(clip, directory)
    return notes


def _source(meta: dict) -> str:
    """What a prepared clip was made from (its video, or the official directory)."""
    return str(meta.get("source_video") or meta.get("source_dir") or "an unknown source")


def source_digest(path: str | Path) -> str:
    """The SHA-256 of a source file (`meta["source_sha256"]`, `meta["source_audio_sha256"]` and a user card's
    `source_sha256`), read in chunks: a long video need not fit in memory."""
    from talkbench.infra.cache_entry import sha256_file

    return sha256_file(Path(path))


def _stored_meta(card_name: str, out_dir: Path | None = None) -> dict | None:
    """The meta of the card's prepared clip (clip.json only, not its arrays), or None when there is none."""
    path = (out_dir or prepared_dir(get_card(card_name))) / "clip.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text()).get("meta", {})
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: damaged dataset cache ({exc}); delete it to prepare again") from exc


def prepared_from(card_name: str, video_path: str | Path, audio_path: str | Path | None = None,
                  out_dir: Path | None = None) -> bool:
    """Whether the card's prepared clip was made from this video file (and this separate audio file, if any)."""
    meta = _stored_meta(card_name, out_dir)
    if meta is None or not meta.get("source_sha256"):
        return False
    # clips prepared before the full digests were kept hold its first 16 hex digits
    same_video = source_digest(video_path).startswith(str(meta["source_sha256"]))
    if audio_path is None:
        return same_video and meta.get("source_audio") is None
    stored_audio = meta.get("source_audio_sha256")
    return same_video and (source_digest(audio_path) == stored_audio if stored_audio
                           else meta.get("source_audio") == str(audio_path))


def prepared_options(card_name: str, out_dir: Path | None = None) -> "PreprocessOptions":
    """The options the card's prepared clip was made with (the defaults for a clip without annotations)."""
    from talkbench.prepare.options import PreprocessOptions

    return PreprocessOptions.from_dict(((_stored_meta(card_name, out_dir) or {}).get("preprocess") or {}).get("options"))


def complete_prepared(card_name: str, wanted: Iterable[str], options: "PreprocessOptions | None" = None,
                      out_dir: Path | None = None, label: str | None = None) -> tuple[Clip, list[str], tuple[str, ...]]:
    """Add the `wanted` annotations a card's prepared clip lacks (only their passes run) and store it again.

    `options` default to those the clip was prepared with. Returns the clip, notes and the passes that ran;
    `meta["preprocess"]` keeps the earlier passes' seconds beside the new ones and lists `label` (the method)
    under "for"; `meta["content_sha256"]` is recomputed, so training caches see the new annotations.
    """
    from talkbench.prepare.options import PreprocessOptions
    from talkbench.prepare.preprocess import content_digest, preprocess

    wanted = tuple(wanted)
    card = get_card(card_name)
    if card.kind != "video":
        raise BenchError(f"card {card.name!r} is {card.kind}: it is generated, not prepared from a video")
    directory = out_dir or prepared_dir(card)
    if not (directory / "clip.json").exists():
        raise BenchError(f"card {card.name!r} has no prepared clip ({directory}): pass --video PATH (or --official-dir DIR)")
    clip = load_clip(directory)
    record = dict(clip.meta.get("preprocess", {}))
    o = options or PreprocessOptions.from_dict(record.get("options"))
    done = preprocess(clip.frames, str(clip.meta.get("source_video", directory)), o, audio=clip.audio, fps=clip.fps,
                      wanted=wanted, annotations=clip.annotations, meta=clip.meta)
    if not done.passes:
        return clip, [f"card {card.name}: the prepared clip already has {', '.join(wanted) or 'what was asked'}"], ()
    annotations = {**clip.annotations, **done.annotations}
    meta = {**clip.meta, **{k: v for k, v in done.meta.items() if k != "preprocess"}}
    seconds = {**record.get("seconds", {}), **done.meta["preprocess"]["seconds"]}
    meta["preprocess"] = {**record, "options": o.to_dict(), "seconds": seconds}
    if label:
        meta["preprocess"]["for"] = list(dict.fromkeys([*record.get("for", []), label]))
    meta["content_sha256"] = content_digest(clip.frames, clip.audio, annotations, meta)
    out = Clip(name=clip.name, frames=clip.frames, fps=clip.fps, audio=clip.audio, sample_rate=clip.sample_rate,
               annotations=annotations, audio_tracks=clip.audio_tracks, n_train=clip.n_train, meta=meta)
    save_clip(out, directory)
    return out, done.notes, done.passes


def prepare_speech_corpus(card_name: str, path: str | Path, out_dir: Path | None = None) -> tuple["SpeechSet", list[str]]:
    """Check and convert a local speech-enhancement corpus (e.g. VoiceBank-DEMAND) to a 16 kHz SpeechSet."""
    from talkbench.datasets.cards import prepared_dir
    from talkbench.datasets.speech_set import SpeechSet, Utterance, save_speech_set

    card = get_card(card_name)
    if card.kind != "speech-corpus":
        raise BenchError(f"card {card.name!r} is {card.kind}, not a speech corpus (use --video for video cards)")
    spec = card.data["corpus"]
    root = Path(path)
    clean_dir, noisy_dir = root / spec["clean_dir"], root / spec["noisy_dir"]
    for directory in (clean_dir, noisy_dir):
        if not directory.is_dir():
            raise InputError(f"{directory}: no such directory (expected {spec['clean_dir']}/ and {spec['noisy_dir']}/ in {root})")
    clean_files = {p.stem: p for p in sorted(clean_dir.glob("*.wav"))}
    noisy_files = {p.stem: p for p in sorted(noisy_dir.glob("*.wav"))}
    if set(clean_files) != set(noisy_files):
        only = sorted(set(clean_files) ^ set(noisy_files))[:5]
        raise InputError(f"{root}: clean and noisy file names differ (e.g. {', '.join(only)})")
    if len(clean_files) != spec["utterances"]:
        raise InputError(f"{clean_dir}: {len(clean_files)} utterances, the {card.name} test set has {spec['utterances']}")
    speakers = sorted({stem.split("_")[0] for stem in clean_files})
    if speakers != sorted(spec["speakers"]):
        raise InputError(f"{clean_dir}: speakers {speakers}, expected {spec['speakers']}")
    conditions: dict[str, tuple[str, float]] = {}
    log = root / spec.get("log_file", "")
    if spec.get("log_file") and log.is_file():
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3:
                conditions[parts[0]] = (parts[1], float(parts[2]))
    notes: list[str] = []
    rates: set[int] = set()
    utterances = []
    for stem in tqdm(sorted(clean_files), desc=f"prepare {card.name}", unit="utt", disable=None):
        import soundfile as sf

        for p in (clean_files[stem], noisy_files[stem]):
            rates.add(sf.info(str(p)).samplerate)
        clean, _ = read_audio(clean_files[stem])
        noisy, _ = read_audio(noisy_files[stem])
        if len(clean) != len(noisy):
            raise InputError(f"{noisy_files[stem]}: {len(noisy)} samples, its clean reference has {len(clean)}")
        noise, snr = conditions.get(stem, ("", None))
        utterances.append(Utterance(stem, noisy, clean, snr, noise, stem.split("_")[0]))
    if rates != {SAMPLE_RATE}:
        notes.append(f"{root}: resampled {sorted(rates)} Hz -> {SAMPLE_RATE} Hz")
    if not conditions:
        notes.append(f"{log}: not found; per-SNR tables need it (results are reported over all utterances only)")
    speech = SpeechSet(card.name, utterances, meta={"source_dir": str(root), "notes": notes})
    save_speech_set(speech, out_dir or prepared_dir(card))
    return speech, notes
