"""Audio loading and conforming to talkbench's 16 kHz mono float32, with notes on what was changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from talkbench.core.channels import CHANNELS
from talkbench.core.errors import InputError
from talkbench.core.types import SAMPLE_RATE
from talkbench.infra.paths import input_file

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
"""Audio files talkbench reads and writes (libsndfile's formats that carry 16-bit or float PCM losslessly, and Ogg)."""


def conform_audio(audio: np.ndarray, sample_rate: int, source: str, *, resample: bool = True) -> tuple[np.ndarray, list[str]]:
    """Downmix to mono and resample to 16 kHz; returns the audio and notes saying what was done.

    With `resample=False` a sample rate other than 16 kHz is refused (InputError naming `source`).
    """
    notes: list[str] = []
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        raise InputError(f"{source}: audio stream is empty")
    if audio.ndim == 2:
        # soundfile gives [N, C]; PyAV gives [C, N]: channels are the short axis.
        if audio.shape[0] < audio.shape[1]:
            audio = audio.T
        if audio.shape[1] > 1:
            notes.append(f"{source}: {audio.shape[1]}-channel audio downmixed to mono")
        audio = audio.mean(axis=1)
    elif audio.ndim != 1:
        raise InputError(f"{source}: audio has unexpected shape {audio.shape}")
    if audio.size == 0:
        raise InputError(f"{source}: audio stream is empty")
    bad = int(np.count_nonzero(~np.isfinite(audio)))
    if bad:  # a NaN passes through every filter and metric as garbage: refuse it at the boundary
        raise InputError(f"{source}: audio contains NaN or infinite samples ({bad} of {audio.size}); repair or re-export it")
    if sample_rate != SAMPLE_RATE:
        if not resample:
            raise InputError(f"{source}: sample rate {sample_rate} Hz, expected {SAMPLE_RATE} Hz (resample it, or allow resampling)")
        audio = soxr.resample(audio, sample_rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
        notes.append(f"{source}: resampled {sample_rate} Hz -> {SAMPLE_RATE} Hz")
    return np.ascontiguousarray(audio, dtype=np.float32), notes


def select_channels(audio: np.ndarray, source: str, channel: str = "mean") -> tuple[list[np.ndarray], list[str], list[str]]:
    """The tracks `channel` takes from `audio` ([N], or [N, C] / [C, N]: channels are the short axis), with their
    labels and notes: "mean" gives `audio` itself (conform_audio downmixes it, with its note), "left"/"right" the
    first/second channel, "each" every channel ("left", "right", then "channel 3", ...). Mono audio has one channel
    for every choice (said in a note when the choice names a side). InputError for another value or shape."""
    if channel not in CHANNELS:
        raise InputError(f"--channel {channel!r}: must be one of {', '.join(CHANNELS)}")
    audio = np.asarray(audio, dtype=np.float32)
    if channel == "mean":
        return [audio], ["mean"], []
    if audio.ndim not in (1, 2):
        raise InputError(f"{source}: audio has unexpected shape {audio.shape}")
    # tracks [C, N]: soundfile gives [N, C], PyAV [C, N]; channels are the short axis.
    tracks = audio.reshape(1, -1) if audio.ndim == 1 else audio.T if audio.shape[0] > audio.shape[1] else audio
    count = tracks.shape[0]
    if count == 1:
        note = [] if channel == "each" else [f"{source}: mono audio, --channel {channel} uses its one channel"]
        return [tracks[0]], ["mono"], note
    labels = ["left", "right"] + [f"channel {i + 1}" for i in range(2, count)]
    if channel == "each":
        return list(tracks), labels, [f"{source}: {count}-channel audio, each channel processed on its own"]
    index = labels.index(channel)
    return [tracks[index]], [channel], [f"{source}: {count}-channel audio, the {channel} channel used"]


def read_audio(path: str | Path, *, resample: bool = True) -> tuple[np.ndarray, list[str]]:
    """Read an audio file as 16 kHz mono float32 (see conform_audio); errors name the file."""
    data, sr, path = _decode(path)
    return conform_audio(data, sr, str(path), resample=resample)


def read_audio_channels(path: str | Path, channel: str = "mean") -> tuple[list[np.ndarray], list[str], list[str]]:
    """Read the tracks `channel` chooses from an audio file (`select_channels`), each as 16 kHz mono float32:
    (tracks, labels, notes)."""
    data, sr, path = _decode(path)
    tracks, labels, notes = select_channels(data, str(path), channel)
    out = []
    for i, track in enumerate(tracks):
        conformed, more = conform_audio(track, sr, str(path))
        out.append(conformed)
        if i == 0:  # every channel gets the same conversions: say them once
            notes += more
    return out, labels, notes


def _decode(path: str | Path) -> tuple[np.ndarray, int, Path]:
    path = input_file(path)
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for undecodable input
        raise InputError(f"{path}: cannot decode audio ({exc})") from exc
    return data, sr, path


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write float audio ([N], or [N, C] for C channels) as 16-bit PCM (WAV or FLAC by the suffix; Ogg Vorbis for .ogg)."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise InputError(f"{path}: unsupported audio file type {suffix!r} (write one of {', '.join(AUDIO_SUFFIXES)})")
    sf.write(str(path), np.clip(audio, -1.0, 1.0), sample_rate, subtype=None if suffix == ".ogg" else "PCM_16")
