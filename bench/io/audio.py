"""Audio loading and conforming to talkbench's 16 kHz mono float32, with notes on what was changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

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


def read_audio(path: str | Path, *, resample: bool = True) -> tuple[np.ndarray, list[str]]:
    """Read an audio file as 16 kHz mono float32 (see conform_audio); errors name the file."""
    path = input_file(path)
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for undecodable input
        raise InputError(f"{path}: cannot decode audio ({exc})") from exc
    return conform_audio(data, sr, str(path), resample=resample)


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write float audio as 16-bit PCM (WAV or FLAC by the suffix; Ogg Vorbis for .ogg)."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise InputError(f"{path}: unsupported audio file type {suffix!r} (write one of {', '.join(AUDIO_SUFFIXES)})")
    sf.write(str(path), np.clip(audio, -1.0, 1.0), sample_rate, subtype=None if suffix == ".ogg" else "PCM_16")
