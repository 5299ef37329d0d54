"""Noisy speech for the denoiser tests: real (espeak-ng) speech after 0.5 s of silence, so the leading frames hold
noise only (the assumption of WildTalker's MSS), or from t = 0, mixed with seeded white, pink or hum noise."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.registries import METHODS
from talkbench.datasets.speech import make_noise, synthesize

SR = 16_000
ALL = ["passthrough", "specsub", "mss", "wiener", "noisereduce"]
DENOISERS = ["specsub", "mss", "wiener", "noisereduce"]
TEXT = "The quick brown fox jumps over the lazy dog. Please call Stella and ask her to bring these things."


def snr_db(ref: np.ndarray, est: np.ndarray) -> float:
    ref, est = ref.astype(np.float64), est.astype(np.float64)
    return float(10 * np.log10(np.sum(ref**2) / np.sum((ref - est) ** 2)))


def si_sdr_db(ref: np.ndarray, est: np.ndarray) -> float:
    ref, est = ref.astype(np.float64), est.astype(np.float64)
    target = (est @ ref) / (ref @ ref) * ref
    return float(10 * np.log10(np.sum(target**2) / np.sum((est - target) ** 2)))


def make_mixture(kind: str, snr: float = 5.0, seed: int = 0, lead: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy) float32: `lead` s of silence + speech + 0.1 s silence, noise scaled to `snr` dB over the clip.

    `lead=0` also trims espeak's own leading silence, so the speech starts at t = 0 (a recording cut mid-sentence).
    """
    speech = synthesize(TEXT).astype(np.float64)
    if lead == 0:
        speech = speech[np.flatnonzero(np.abs(speech) > 1e-3)[0]:]
    clean = np.concatenate([np.zeros(int(lead * SR)), speech, np.zeros(SR // 10)])
    noise = make_noise(kind, len(clean), np.random.default_rng(seed)).astype(np.float64)
    noise *= np.sqrt(np.sum(clean**2) / (np.sum(noise**2) * 10 ** (snr / 10)))
    return clean.astype(np.float32), (clean + noise).astype(np.float32)


@pytest.fixture(scope="module")
def white() -> tuple[np.ndarray, np.ndarray]:
    return make_mixture("white")


@pytest.fixture(scope="module")
def pink() -> tuple[np.ndarray, np.ndarray]:
    return make_mixture("pink", seed=1)


def build(name: str, **overrides):
    cls = METHODS.get(name)
    return cls(cls.Config(**overrides))
