"""The noise estimate's segment (methods/enhance/noise_estimate.py)."""

from __future__ import annotations

import numpy as np
import pytest


def test_quietest_stretch_skips_digital_silence() -> None:
    from talkbench.methods.enhance.noise_estimate import quietest_segment_start

    sr = 16000
    rng = np.random.default_rng(1)
    audio = np.concatenate([np.zeros(sr), 0.01 * rng.standard_normal(sr), 0.3 * rng.standard_normal(sr)]).astype(np.float32)
    assert sr <= quietest_segment_start(audio, sr, 0.25) <= 1.75 * sr   # the faint noise, not the zeros
    assert quietest_segment_start(np.zeros(sr, np.float32), sr, 0.25) == 0


SR = 16000


def _speech_from_t0() -> np.ndarray:
    from talkbench.datasets.speech import synthesize

    speech = synthesize("The quick brown fox jumps over the lazy dog. Please call Stella.").astype(np.float64)
    return speech[np.flatnonzero(np.abs(speech) > 1e-3)[0]:]


def _white_floor(n: int, sigma: float, n_fft: int, seed: int = 0) -> tuple[np.ndarray, float]:
    from talkbench import dsp

    noise = sigma * np.random.default_rng(seed).standard_normal(n)
    return noise, sigma**2 * float(np.sum(dsp.window("hann", n_fft) ** 2))


def test_vad_bands_cover_the_spectrum_in_third_octaves() -> None:
    from talkbench.methods.enhance.noise_estimate import VAD_BAND_BINS, vad_bands

    for bins in (5, 257, 513, 1025):
        edges = vad_bands(bins)
        assert edges[0] == 0 and edges[-1] == bins and all(b > a for a, b in zip(edges, edges[1:]))
        widths = np.diff(edges)
        assert bins < VAD_BAND_BINS or widths.min() >= VAD_BAND_BINS


@pytest.mark.parametrize("how", ["vad", "minstat"])
def test_estimators_find_a_known_floor_under_speech_from_t0(how: str) -> None:
    """Speech from the first sample at 5 dB over white noise: "vad" and "minstat" find the floor, "leading" the speech."""
    from talkbench import dsp
    from talkbench.methods.enhance.noise_estimate import estimate_noise

    speech = _speech_from_t0()
    noise, truth = _white_floor(len(speech), 0.02, 512)
    mag = np.abs(dsp.stft(speech + noise, 512, 128))
    est = estimate_noise(mag, 2.0, how, 128 / SR)
    assert est.shape == ((mag.shape[1],) if how == "vad" else mag.shape)
    error = 10 * np.log10(est[..., 1:-1] / truth)
    assert abs(np.median(error)) < 1.5, f"{how}: median error {np.median(error):+.2f} dB"
    leading = estimate_noise(mag, 2.0, "leading", 128 / SR, count=28)  # the first 0.25 s
    assert 10 * np.log10(leading[1:-1].mean() / truth) > 6.0  # the speech's own spectrum, in energy


def test_vad_on_stationary_noise_alone_and_on_hum() -> None:
    from talkbench import dsp
    from talkbench.datasets.speech import make_noise
    from talkbench.methods.enhance.noise_estimate import vad_noise

    speech = _speech_from_t0()
    noise, truth = _white_floor(len(speech), 0.01, 1024, seed=3)
    mag = np.abs(dsp.stft(noise, 1024, 256))
    assert abs(np.median(10 * np.log10(vad_noise(mag, 2.0)[1:-1] / truth))) < 0.5
    hum = 0.05 * make_noise("hum", len(speech), np.random.default_rng(4)).astype(np.float64) + noise
    mixed = hum + speech
    reference = (np.abs(dsp.stft(hum, 1024, 256)) ** 2).mean(axis=0)
    est = vad_noise(np.abs(dsp.stft(mixed, 1024, 256)), 2.0)
    lines = reference > 100 * truth  # the hum's harmonics
    assert lines.sum() >= 8
    assert np.all(np.abs(10 * np.log10(est[lines] / reference[lines])) < 2.0)


def test_magnitude_moments_and_unknown_estimator() -> None:
    from talkbench import dsp
    from talkbench.core.errors import BenchError
    from talkbench.methods.enhance.noise_estimate import estimate_noise, gaussian_moment

    noise, truth = _white_floor(4 * SR, 0.01, 512, seed=5)
    mag = np.abs(dsp.stft(noise, 512, 128))
    mean_mag = mag[:, 1:-1].mean()
    assert gaussian_moment(np.array([truth]), 1.0)[0] == pytest.approx(mean_mag, rel=0.03)  # Rayleigh: Γ(1.5)·σ
    assert gaussian_moment(np.array([truth]), 2.0)[0] == truth
    with pytest.raises(BenchError, match="noise_from must be one of"):
        estimate_noise(mag, 1.0, "middle", 0.008)
