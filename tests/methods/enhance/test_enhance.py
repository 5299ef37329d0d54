"""The speech denoisers as a package (passthrough, specsub, mss, wiener, noisereduce): the contract and the gain.

The test signal is real (espeak-ng) speech after 0.5 s of silence, so the leading frames hold noise only
(the assumption of WildTalker's MSS), mixed with seeded white or pink noise at 5 dB (`tests.kit.denoising`).
"""

from __future__ import annotations

import numpy as np
import pytest

import talkbench.methods.enhance.passthrough  # noqa: F401 - registers "passthrough"
import talkbench.methods.enhance.wiener  # noqa: F401 - registers "wiener"
from talkbench.core.method import Enhancer
from tests.kit.denoising import ALL, DENOISERS, SR, build, make_mixture, pink, si_sdr_db, snr_db, white  # noqa: F401 - fixtures


@pytest.mark.parametrize("name", ALL)
def test_contract_same_length_float32_finite(name: str, white) -> None:
    _, noisy = white
    method = build(name)
    assert isinstance(method, Enhancer)
    for signal in (noisy, noisy[:300], noisy[:5000].astype(np.float64)):
        out = method.denoise(signal, SR)
        assert out.dtype == np.float32 and out.shape == signal.shape
        assert np.isfinite(out).all()
    assert method.denoise(np.zeros(0, np.float32), SR).shape == (0,)
    # digital silence (a zero noise estimate) must not produce NaNs
    assert np.isfinite(method.denoise(np.zeros(SR, np.float32), SR)).all()


@pytest.mark.parametrize("name", DENOISERS)
@pytest.mark.parametrize("kind", ["white", "pink"])
def test_denoisers_raise_snr_and_si_sdr(name: str, kind: str, white, pink) -> None:
    clean, noisy = white if kind == "white" else pink
    out = build(name).denoise(noisy, SR)
    d_snr = snr_db(clean, out) - snr_db(clean, noisy)
    d_sisdr = si_sdr_db(clean, out) - si_sdr_db(clean, noisy)
    assert d_snr > 3.0, f"{name} on {kind}: SNR +{d_snr:.2f} dB"
    assert d_sisdr > 3.0, f"{name} on {kind}: SI-SDR +{d_sisdr:.2f} dB"
    # no normalisation tricks: the speech keeps roughly its level
    speech = slice(SR // 2, None)
    ratio = np.sqrt(np.mean(out[speech].astype(np.float64) ** 2) / np.mean(clean[speech].astype(np.float64) ** 2))
    assert 0.5 < ratio < 1.5


@pytest.mark.parametrize("name", ["mss", "specsub", "wiener"])
@pytest.mark.parametrize("kind", ["white", "pink", "hum"])
def test_speech_from_the_first_sample_is_improved_not_harmed(name: str, kind: str) -> None:
    """A recording that starts with speech (no noise-only lead-in) plus stationary noise: the default noise estimate
    ("vad") must raise PESQ-WB and SI-SDR at 0, 5 and 10 dB, where the paper's "leading" takes the speech for noise."""
    from talkbench.metrics.speech.pesq import pesq_wb

    for snr in (0.0, 5.0, 10.0):
        clean, noisy = make_mixture(kind, snr=snr, seed=int(snr) + 7, lead=0.0)
        out = build(name).denoise(noisy, SR)
        d_pesq = pesq_wb(clean, out) - pesq_wb(clean, noisy)
        d_sisdr = si_sdr_db(clean, out) - si_sdr_db(clean, noisy)
        assert d_pesq > 0.0, f"{name} on {kind} at {snr:g} dB: PESQ-WB {d_pesq:+.3f}"
        assert d_sisdr > 1.0, f"{name} on {kind} at {snr:g} dB: SI-SDR {d_sisdr:+.2f} dB"
    # the paper's leading-frame estimate, on the same recording at 5 dB, removes speech it took for noise
    clean, noisy = make_mixture(kind, snr=5.0, seed=12, lead=0.0)
    leading = build(name, noise_from="leading").denoise(noisy, SR)
    assert si_sdr_db(clean, leading) < si_sdr_db(clean, build(name).denoise(noisy, SR))
