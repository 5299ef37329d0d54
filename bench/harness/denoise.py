"""Speech enhancement as plain Python functions (the call WildTalker's audio front end makes).

    from talkbench.harness.denoise import denoise
    clean = denoise(noisy, 16000, method="mss", alpha=1.5, scales="512:128:hann,1024:256:hann")

`method` is any registered denoiser (mss, specsub, wiener, noisereduce, passthrough); the
overrides are that method's config fields, as Python values or as `--set`-style strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core.errors import BenchError, InputError
from talkbench.core.method import Enhancer
from talkbench.core.types import SAMPLE_RATE


def make_denoiser(method: str = "mss", overrides: dict[str, Any] | None = None) -> Enhancer:
    """The registered denoiser `method` with its default config updated by `overrides`.

    String values are parsed like `--set key=value` (`MethodConfig.updated`); other values are
    used as given (and checked by the config). Unknown fields raise BenchError with suggestions.
    """
    from talkbench.core.registries import METHODS

    cls = METHODS.get(method)
    if not issubclass(cls, Enhancer):
        raise BenchError(f"method {method!r} is not a speech enhancer (it renders video; enhancers: "
                         f"{', '.join(n for n in METHODS.names() if issubclass(METHODS.get(n), Enhancer))})")
    overrides = dict(overrides or {})
    config = cls.Config()
    as_text = {k: v for k, v in overrides.items() if isinstance(v, str)}
    config = config.updated(as_text)
    typed = {k: v for k, v in overrides.items() if not isinstance(v, str)}
    return cls(config.with_values(typed))  # unknown fields and out-of-range values raise BenchError


def denoise(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, method: str = "mss", **overrides: Any) -> np.ndarray:
    """Enhance 16 kHz mono speech with a registered denoiser; float32 of the same length.

    Other sample rates, multi-channel arrays and non-finite samples raise InputError (use
    `denoise_file`, or `talkbench.io.audio.conform_audio`, to resample and downmix first).
    """
    if sample_rate != SAMPLE_RATE:
        raise InputError(
            f"denoise: sample rate {sample_rate} Hz, expected {SAMPLE_RATE} Hz mono "
            "(resample first, e.g. talkbench.io.audio.conform_audio, or use denoise_file)"
        )
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise InputError(f"denoise: expected mono audio of shape [N], got shape {audio.shape} (downmix first)")
    if not np.issubdtype(audio.dtype, np.floating):
        raise InputError(f"denoise: expected float audio in [-1, 1], got dtype {audio.dtype} (scale integer PCM first)")
    audio = audio.astype(np.float32, copy=False)
    if not np.isfinite(audio).all():
        raise InputError("denoise: audio contains NaN or infinite samples")
    return make_denoiser(method, overrides).denoise(audio, SAMPLE_RATE)


def denoise_file(in_path: str | Path, out_path: str | Path, method: str = "mss",
                 overrides: dict[str, str] | None = None, channel: str = "mean") -> list[str]:
    """Read any audio file (resampled to 16 kHz), denoise it, write a 16-bit WAV; returns notes on conversions.

    `channel` (`talkbench.core.channels.CHANNELS`) says what is denoised: the mean of the channels (mono output, the
    default), the left or right channel (mono output), or each channel on its own (an output with as many channels).
    Refused before any work: an output that is a directory, sits in a missing folder, has a suffix that is not an
    audio file type, or is the input itself; an input shorter than the noise estimate needs (`noise_seconds`)."""
    from talkbench.infra.paths import output_file
    from talkbench.io.audio import AUDIO_SUFFIXES, read_audio_channels, write_audio

    out_path = output_file(out_path)
    if out_path.suffix.lower() not in AUDIO_SUFFIXES:
        raise InputError(f"{out_path}: unsupported audio file type {out_path.suffix.lower()!r} "
                         f"(write one of {', '.join(AUDIO_SUFFIXES)})")
    if out_path.exists() and Path(in_path).exists() and out_path.resolve() == Path(in_path).resolve():
        raise InputError(f"{out_path}: the output would overwrite the input; write the denoised audio to another file")
    denoiser = make_denoiser(method, overrides)
    tracks, _labels, notes = read_audio_channels(in_path, channel)
    shortest, why = _shortest_input(denoiser)
    if len(tracks[0]) < shortest * SAMPLE_RATE:
        raise InputError(f"{in_path}: {len(tracks[0])} samples ({len(tracks[0]) / SAMPLE_RATE:.3g} s) at {SAMPLE_RATE} Hz; "
                         f"{method} {why}, so it needs at least {shortest:g} s")
    out = np.stack([denoiser.denoise(track, SAMPLE_RATE) for track in tracks], axis=1)
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 1.0:
        notes.append(f"{out_path}: denoised peak {peak:.3f} > 1, clipped when writing 16-bit PCM")
    write_audio(out_path, out[:, 0] if out.shape[1] == 1 else out, SAMPLE_RATE)
    return notes


def _shortest_input(denoiser: Enhancer) -> tuple[float, str]:
    """The shortest input (seconds) the denoiser's noise estimate can work with, and why (0 when it has none)."""
    from talkbench.methods.enhance.noise_estimate import WHOLE_SIGNAL

    cfg = denoiser.config
    seconds = float(getattr(cfg, "noise_seconds", 0.0))
    how = getattr(cfg, "noise_from", "leading")
    if how in WHOLE_SIGNAL:
        # Shorter audio has too few frames to tell noise from speech: the estimate would be the signal itself.
        return seconds, f"tells noise from speech over the whole input (noise_from={how})"
    if getattr(cfg, "noise_frames", 0) > 0:
        return 0.0, ""
    return seconds, f"estimates the noise from the first {seconds:g} s (noise_seconds)"
