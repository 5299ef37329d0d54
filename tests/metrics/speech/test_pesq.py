"""PESQ (metrics/speech/pesq.py): exactly the pesq package's values on the same arrays."""

from __future__ import annotations

import numpy as np
import pesq as pesq_pkg
import soxr

from talkbench.core.types import Audio
from talkbench.metrics.speech.composite import CBAK, COVL, CSIG
from talkbench.metrics.speech.pesq import PESQ, PESQNarrowBand, pesq_nb, pesq_wb
from tests.kit.speech import FS, audio, f64, noisy_pair, speech  # noqa: F401 - fixtures


def test_pesq_wb_equals_package(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    expected = pesq_pkg.pesq(FS, f64(ref), f64(pred), "wb")
    result = PESQ().compute(pred, ref)
    assert result.value == expected and result.per_item is None
    assert pesq_wb(f64(ref), f64(pred)) == expected
    assert result.details["pesq_mode"] == "wb" and result.details["sample_rate"] == FS
    assert PESQ.modality == "audio" and PESQ.precision == 2 and PESQ.higher_is_better


def test_pesq_nb_equals_package_at_8k(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    ref8 = soxr.resample(f64(ref), FS, 8000, quality="HQ")
    deg8 = soxr.resample(f64(pred), FS, 8000, quality="HQ")
    expected = pesq_pkg.pesq(8000, ref8, deg8, "nb")
    result = PESQNarrowBand().compute(pred, ref)
    assert result.value == expected
    assert pesq_nb(f64(ref), f64(pred), FS) == expected
    assert pesq_nb(ref8, deg8, 8000) == expected  # already at 8 kHz: no resampling
    assert result.details["pesq_mode"] == "nb" and "soxr" in result.details["resampled"]
    assert result.name == "pesq_nb"


def test_silence_makes_pesq_unavailable_not_zero(speech: np.ndarray) -> None:
    silent = audio(np.zeros_like(speech), "silent-output.wav")
    ref = audio(speech, "clean.wav")
    for metric in (PESQ(), PESQNarrowBand(), CSIG(), CBAK(), COVL()):
        result = metric.compute(silent, ref)
        assert not result.available and result.value is None
        assert "silent" in result.unavailable_reason
    short = PESQ().compute(audio(speech[:2000], "short.wav"), audio(speech[:2000], "short-clean.wav"))
    assert short.value is None and "BufferTooShortError" in short.unavailable_reason
