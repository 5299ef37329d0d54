"""segSNR and SI-SDR (metrics/speech/snr.py): closed forms, clipping and scale invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from talkbench.core.types import Audio
from talkbench.metrics.speech.common import loizou_framing, loizou_num_frames, loizou_window
from talkbench.metrics.speech.snr import SISDR, SegSNR, segmental_snr, segmental_snr_frames, si_sdr
from tests.kit.speech import FS, audio, f64, noisy_pair, speech  # noqa: F401 - fixtures


def test_segsnr_of_a_signal_against_itself_is_35(speech: np.ndarray) -> None:
    floor = 1e-3 * np.random.default_rng(5).standard_normal(len(speech))  # no digitally silent frame
    x = speech + floor
    assert segmental_snr(x, x, FS) == 35.0
    assert np.all(segmental_snr_frames(x, x, FS) == 35.0)


@pytest.mark.parametrize("c", [0.1, -0.3, 0.05])
def test_segsnr_scaled_noise_mix_closed_form(speech: np.ndarray, c: float) -> None:
    floor = 1e-3 * np.random.default_rng(6).standard_normal(len(speech))
    ref = speech + floor
    deg = ref + c * ref  # the "noise" is a scaled copy: every frame's SNR is 20·log10(1/|c|)
    expected = 20 * math.log10(1 / abs(c))
    assert -10 < expected < 35
    np.testing.assert_allclose(segmental_snr_frames(ref, deg, FS), expected, atol=1e-9)
    assert segmental_snr(ref, deg, FS) == pytest.approx(expected, abs=1e-9)
    # on the raw espeak speech the closed form holds in every frame that is not (near) silent;
    # frames with energy near snr.m's eps (2.2e-16) are pulled down, digital silence gives -10
    raw = segmental_snr_frames(speech, speech * (1 + c), FS)
    win, hop = loizou_framing(FS)
    w = loizou_window(win)
    energy = np.array([np.sum((speech[i * hop:i * hop + win] * w) ** 2) for i in range(len(raw))])
    assert np.mean(energy > 1e-6) > 0.9
    np.testing.assert_allclose(raw[energy > 1e-6], expected, atol=1e-6)
    assert np.all(raw[energy == 0] == -10.0)


def test_segsnr_white_noise_mix_and_clipping() -> None:
    rng = np.random.default_rng(7)
    ref = rng.standard_normal(5 * FS)
    noise = rng.standard_normal(5 * FS)
    noise /= np.std(noise)
    ref /= np.std(ref)
    for target in (0.0, 15.0, 25.0):
        value = segmental_snr(ref, ref + noise * 10 ** (-target / 20), FS)
        assert value == pytest.approx(target, abs=0.15)
    assert segmental_snr(ref, ref + noise * 10 ** (-50 / 20), FS) == 35.0
    assert segmental_snr(ref, ref + noise * 10 ** (30 / 20), FS) == -10.0


def test_segsnr_class(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    result = SegSNR().compute(pred, ref)
    assert result.value == segmental_snr(f64(ref), f64(pred), FS)
    assert result.details["frames"] == loizou_num_frames(len(ref.samples), FS)


def test_si_sdr_closed_form_and_scale_invariance(speech: np.ndarray) -> None:
    ref = speech - speech.mean()
    e = np.random.default_rng(8).standard_normal(len(ref))
    e -= e.mean()
    e -= (e @ ref) / (ref @ ref) * ref  # orthogonal to the (zero-mean) reference
    for target in (-5.0, 0.0, 12.5, 30.0):
        est = ref + e * math.sqrt((ref @ ref) / (e @ e) * 10 ** (-target / 10))
        assert si_sdr(ref, est) == pytest.approx(target, abs=1e-9)
        for k in (0.01, 3.0):
            assert si_sdr(ref, k * est) == pytest.approx(target, abs=1e-9)
        assert si_sdr(ref + 0.2, est - 0.1) == pytest.approx(target, abs=1e-9)  # offsets removed
    assert si_sdr(ref, ref) == math.inf  # no epsilon: a perfect estimate is +inf
    assert si_sdr(ref, 2.5 * ref) > 250.0  # a scaled copy: only rounding error is left
    result = SISDR().compute(audio(speech, "x.wav"), audio(speech, "y.wav"))
    assert result.value == math.inf and result.details["zero_mean"] is True
    silent = SISDR().compute(audio(np.zeros_like(speech), "s.wav"), audio(speech, "y.wav"))
    assert silent.value is None and "no energy" in silent.unavailable_reason
