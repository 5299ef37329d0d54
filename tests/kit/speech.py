"""Real espeak speech and noisy mixtures for the speech-metric tests."""

from __future__ import annotations

import math

import numpy as np
import pytest

from talkbench.core.types import Audio
from talkbench.datasets.speech import make_noise, synthesize

FS = 16_000
TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """~2.9 s of espeak-ng speech, float64 at 16 kHz (deterministic)."""
    return synthesize(TEXT).astype(np.float64)


def mix(clean: np.ndarray, snr_db: float, seed: int = 3, kind: str = "pink") -> np.ndarray:
    """`clean` plus seeded noise scaled to a global SNR of `snr_db`."""
    noise = make_noise(kind, len(clean), np.random.default_rng(seed)).astype(np.float64)
    noise *= math.sqrt(np.mean(clean**2) / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    return clean + noise


def audio(x: np.ndarray, source: str, fs: int = FS) -> Audio:
    return Audio(samples=np.asarray(x, dtype=np.float32), sample_rate=fs, source=source)


@pytest.fixture(scope="module")
def noisy_pair(speech: np.ndarray) -> tuple[Audio, Audio]:
    """(pred, ref) Audio at 10 dB pink-noise SNR, float32 like the loaders produce."""
    return audio(mix(speech, 10.0), "noisy.wav"), audio(speech, "clean.wav")


def f64(a: Audio) -> np.ndarray:
    return a.samples.astype(np.float64)
