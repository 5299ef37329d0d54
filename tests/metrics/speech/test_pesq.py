"""PESQ (metrics/speech/pesq.py): exactly the pesq package's values on the same arrays."""

from __future__ import annotations

import numpy as np
import pesq as pesq_pkg
import pytest
import soxr

from talkbench.core.errors import InputError
from talkbench.core.metric import MetricContext
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


def test_pesq_nb_default_is_the_package_at_the_input_rate(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    expected = pesq_pkg.pesq(FS, f64(ref), f64(pred), "nb")  # what pesq and torchmetrics give on 16 kHz audio
    result = PESQNarrowBand().compute(pred, ref)
    assert result.value == expected
    assert pesq_nb(f64(ref), f64(pred), FS) == expected
    assert result.details["pesq_mode"] == "nb" and result.details["pesq_nb_rate"] == "input"
    assert result.details["pesq_sample_rate"] == FS and result.details["resampled"] == "no"
    assert result.name == "pesq_nb" and PESQNarrowBand.variant_defaults == {"pesq_nb_rate": "input"}
    ref8 = soxr.resample(f64(ref), FS, 8000, quality="HQ")
    deg8 = soxr.resample(f64(pred), FS, 8000, quality="HQ")
    at8 = PESQNarrowBand().compute(audio(deg8, "noisy8.wav", 8000), audio(ref8, "clean8.wav", 8000))
    assert at8.value == pesq_pkg.pesq(8000, ref8.astype(np.float32).astype(np.float64),
                                      deg8.astype(np.float32).astype(np.float64), "nb")
    assert at8.details["pesq_sample_rate"] == 8000
    with pytest.raises(InputError, match="8000 or 16000 Hz"):
        pesq_nb(f64(ref), f64(pred), 22050)


def test_pesq_nb_resampled_to_8k_is_a_recorded_variant(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    ref8 = soxr.resample(f64(ref), FS, 8000, quality="HQ")
    deg8 = soxr.resample(f64(pred), FS, 8000, quality="HQ")
    expected = pesq_pkg.pesq(8000, ref8, deg8, "nb")
    result = PESQNarrowBand().compute(pred, ref, MetricContext(options={"pesq_nb_rate": "8000"}))
    assert result.value == expected and pesq_nb(f64(ref), f64(pred), FS, "8000") == expected
    assert pesq_nb(ref8, deg8, 8000, "8000") == expected  # already at 8 kHz: no resampling
    assert result.details["pesq_nb_rate"] == "8000" and result.details["pesq_sample_rate"] == 8000
    assert "soxr" in result.details["resampled"]
    assert result.value != PESQNarrowBand().compute(pred, ref).value  # the two protocols differ


def test_silence_makes_pesq_unavailable_not_zero(speech: np.ndarray) -> None:
    silent = audio(np.zeros_like(speech), "silent-output.wav")
    ref = audio(speech, "clean.wav")
    for metric in (PESQ(), PESQNarrowBand(), CSIG(), CBAK(), COVL()):
        result = metric.compute(silent, ref)
        assert not result.available and result.value is None
        assert "silent" in result.unavailable_reason
    short = PESQ().compute(audio(speech[:2000], "short.wav"), audio(speech[:2000], "short-clean.wav"))
    assert short.value is None and "BufferTooShortError" in short.unavailable_reason
