"""Martin's minimum-statistics noise tracker (methods/enhance/minimum_statistics.py) on noise of a known PSD."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench import dsp
from talkbench.datasets.speech import synthesize
from talkbench.methods.enhance.minimum_statistics import bias_m, minimum_statistics, window_frames

SR = 16_000


def _error_db(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return 10 * np.log10(estimate / truth)


@pytest.mark.parametrize("n_fft,hop", [(512, 128), (1024, 256), (2048, 512)])
def test_tracks_a_known_white_noise_floor(n_fft: int, hop: int) -> None:
    sigma = 0.01
    noise = sigma * np.random.default_rng(0).standard_normal(6 * SR)
    psd = np.abs(dsp.stft(noise, n_fft, hop)) ** 2
    truth = sigma**2 * np.sum(dsp.window("hann", n_fft) ** 2)  # E|N(k)|² of white noise through the Hann window
    est = minimum_statistics(psd, hop / SR)
    assert est.shape == psd.shape and np.isfinite(est).all()
    inner = slice(1, -1)  # DC and Nyquist are real-valued: twice the variance
    error = _error_db(est[:, inner], truth)
    assert abs(np.median(error)) < 1.0, f"median error {np.median(error):+.2f} dB"
    assert np.percentile(np.abs(error), 90) < 3.0  # frame by frame, bin by bin


def test_tracks_a_coloured_floor_and_a_step() -> None:
    """A low-pass coloured noise whose level rises by 10 dB halfway: the estimate follows each floor within 1.5 dB
    (median over bins), reaching the new one within the search window plus a sub-window (about 1.7 s)."""
    rng = np.random.default_rng(1)
    white = rng.standard_normal(10 * SR)
    coloured = np.convolve(white, [1.0, 0.9, 0.6, 0.3], mode="same") * 0.01
    coloured[5 * SR:] *= np.sqrt(10.0)
    n_fft, hop = 512, 128
    psd = np.abs(dsp.stft(coloured, n_fft, hop)) ** 2
    est = minimum_statistics(psd, hop / SR)
    frames = lambda t: int(t * SR / hop)  # noqa: E731 - a one-line conversion
    before = psd[frames(0.5):frames(4.5)].mean(axis=0)
    after = psd[frames(5.5):].mean(axis=0)
    inner = slice(1, -1)
    assert abs(np.median(_error_db(est[frames(2.0):frames(5.0), inner], before[inner]))) < 1.5
    assert abs(np.median(_error_db(est[frames(7.0):, inner], after[inner]))) < 1.5


def test_speech_from_t0_does_not_become_the_noise_estimate() -> None:
    """Speech from the first sample over a white floor: once a window holds speech pauses, the estimate is the floor
    (the backfill gives the first frames that estimate too), not the speech."""
    speech = np.tile(synthesize("Please call Stella and ask her to bring these things.").astype(np.float64), 2)
    speech = speech[np.flatnonzero(np.abs(speech) > 1e-3)[0]:]
    sigma = 0.02
    noisy = speech + sigma * np.random.default_rng(2).standard_normal(len(speech))
    psd = np.abs(dsp.stft(noisy, 512, 128)) ** 2
    truth = sigma**2 * np.sum(dsp.window("hann", 512) ** 2)
    est = minimum_statistics(psd, 128 / SR)
    assert abs(np.median(_error_db(est[:, 1:-1], truth))) < 2.0
    np.testing.assert_array_equal(est[0], est[window_frames(128 / SR)[0] * window_frames(128 / SR)[1] - 1])


def test_edge_cases_and_bias_table() -> None:
    assert minimum_statistics(np.zeros((0, 5)), 0.008).shape == (0, 5)
    assert np.isfinite(minimum_statistics(np.zeros((50, 9)), 0.008)).all()  # digital silence
    assert bias_m(96) == pytest.approx(0.87, abs=0.02) and bias_m(1) == 0.0 and bias_m(1000) == 0.94
    assert window_frames(0.016) == (8, 12)  # Martin's D = 96 frames of 16 ms
    u, v = window_frames(0.128)
    assert v >= 4 and u * v * 0.128 == pytest.approx(1.536, rel=0.2)
