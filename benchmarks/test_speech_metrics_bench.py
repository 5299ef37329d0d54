"""Time per utterance of the speech metrics on CPU: a ~3 s espeak-ng utterance + pink noise at 10 dB.

Each benchmark scores one (enhanced, clean) pair through the metric class, as the runner
does (pair check included). The composite benchmark clears the shared memo before every
call and scores CSIG, CBAK and COVL: one composite pass (LLR, WSS, segSNR, wide-band PESQ).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from talkbench.datasets.speech import make_noise, synthesize
from talkbench.core.types import Audio, SAMPLE_RATE
from talkbench.metrics.speech import composite as comp
from talkbench.metrics.speech.composite import CBAK, COVL, CSIG
from talkbench.metrics.speech.pesq import PESQ, PESQNarrowBand
from talkbench.metrics.speech.snr import SISDR, SegSNR
from talkbench.metrics.speech.stoi import ESTOI, STOI

TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def utterance() -> tuple[Audio, Audio]:
    """(noisy, clean) Audio: ~3 s of espeak speech, pink noise at 10 dB SNR, float32 16 kHz."""
    clean = np.concatenate([synthesize(TEXT), np.zeros(SAMPLE_RATE // 10, np.float32)]).astype(np.float64)
    noise = make_noise("pink", len(clean), np.random.default_rng(0)).astype(np.float64)
    noise *= math.sqrt(np.mean(clean**2) / (np.mean(noise**2) * 10.0))
    noisy = clean + noise
    return (Audio(noisy.astype(np.float32), SAMPLE_RATE, "noisy"), Audio(clean.astype(np.float32), SAMPLE_RATE, "clean"))


def _label(name: str, utt: Audio) -> str:
    return f"{name} utterances/s ({utt.seconds:.1f} s)"


@pytest.mark.parametrize(
    "metric_cls", [PESQ, PESQNarrowBand, STOI, ESTOI, SegSNR, SISDR], ids=lambda c: c.name
)
def test_speech_metric_time_per_utterance(benchmark, record_throughput, utterance, metric_cls) -> None:
    pred, ref = utterance
    metric = metric_cls()
    result = benchmark(metric.compute, pred, ref)
    assert result.available, result.unavailable_reason
    record_throughput(_label(metric.name, ref), benchmark, 1)


def test_composite_time_per_utterance(benchmark, record_throughput, utterance) -> None:
    pred, ref = utterance
    metrics = (CSIG(), CBAK(), COVL())

    def score_all():
        comp.clear_cache()  # time the full pass, not a memo hit
        return [m.compute(pred, ref) for m in metrics]

    results = benchmark(score_all)
    assert all(r.available for r in results)
    assert comp.cache_info()["misses"] == 1
    record_throughput(_label("composite (csig+cbak+covl)", ref), benchmark, 1)
