"""Real-time factor of the speech denoisers on CPU: 10 s of 16 kHz noisy speech per call.

RTF = processing time / audio duration (mean over rounds). The MSS goal is RTF <= 0.005 with
its three default scales (512/1024/2048 at 16 kHz). The RTF is stored in each benchmark's
extra_info; the throughput summary prints audio seconds processed per second (= 1 / RTF).

    /work/venv/bin/python -m pytest benchmarks/test_denoise_bench.py --benchmark-only -p no:cacheprovider -o addopts=""
"""

from __future__ import annotations

import numpy as np
import pytest

import talkbench.methods.enhance.mss as mss_mod
import talkbench.methods.enhance.spectral_gating  # noqa: F401 - registers "noisereduce"
import talkbench.methods.enhance.specsub  # noqa: F401 - registers "specsub"
import talkbench.methods.enhance.wiener  # noqa: F401 - registers "wiener"
from talkbench.datasets.speech import make_noise, synthesize
from talkbench.core.registries import METHODS

SR = 16_000
SECONDS = 10.0
MSS_RTF_GOAL = 0.005


@pytest.fixture(scope="module")
def noisy_10s() -> np.ndarray:
    """0.5 s of noise, then repeated espeak speech, 10 s in all, with white noise at 5 dB SNR."""
    speech = synthesize("The quick brown fox jumps over the lazy dog. Please call Stella and ask her to bring these things.")
    n = int(SECONDS * SR)
    clean = np.zeros(n)
    body = np.tile(speech, int(np.ceil(n / len(speech))))[: n - SR // 2]
    clean[SR // 2 :] = body
    noise = make_noise("white", n, np.random.default_rng(0)).astype(np.float64)
    noise *= np.sqrt(np.sum(clean**2) / (np.sum(noise**2) * 10 ** 0.5))
    return (clean + noise).astype(np.float32)


def _record_rtf(benchmark, record_throughput, label: str) -> float:
    rate = record_throughput(f"{label} (audio s / s)", benchmark, int(SECONDS))
    rtf = 1.0 / rate if rate == rate and rate > 0 else float("nan")
    benchmark.extra_info["rtf"] = rtf
    return rtf


def test_mss_rtf(benchmark, noisy_10s, record_throughput) -> None:
    method = mss_mod.MSS()
    assert len(method.config.scales) == 3
    out = benchmark(method.denoise, noisy_10s, SR)
    assert out.shape == noisy_10s.shape
    rtf = _record_rtf(benchmark, record_throughput, "mss 3 scales")
    benchmark.extra_info["rtf_goal"] = MSS_RTF_GOAL
    benchmark.extra_info["meets_goal"] = bool(rtf <= MSS_RTF_GOAL)


@pytest.mark.parametrize("name", ["specsub", "wiener", "noisereduce"])
def test_baseline_rtf(benchmark, noisy_10s, record_throughput, name: str) -> None:
    method = METHODS.get(name)()
    out = benchmark(method.denoise, noisy_10s, SR)
    assert out.shape == noisy_10s.shape
    _record_rtf(benchmark, record_throughput, name)
