"""WildTalker's multi-scale spectral subtraction (methods/enhance/mss.py): Eq. 1-2, its relation to single-scale
subtraction, the config and the noise estimate's placement."""

from __future__ import annotations

import numpy as np
import pytest

import talkbench.methods.enhance.mss as mss_mod
import talkbench.methods.enhance.specsub as specsub_mod
from talkbench import dsp
from talkbench.core.errors import BenchError
from talkbench.core.registries import METHODS
from tests.kit.denoising import SR, white  # noqa: F401 - fixtures


def _mss_reference(noisy: np.ndarray, scales, alpha: float, noise_seconds: float) -> np.ndarray:
    """WildTalker Eq. 1-2 written out directly on talkbench.dsp (whole signal, angle/exp phase)."""
    outs = []
    for n_fft, hop, win in scales:
        spec = dsp.stft(noisy, n_fft, hop, win)
        count = max(1, (int(noise_seconds * SR) - n_fft // 2) // hop + 1)
        noise = np.abs(spec[:count]).mean(axis=0)
        mag = np.maximum(np.abs(spec) - alpha * noise, 0.0)
        outs.append(dsp.istft(mag * np.exp(1j * np.angle(spec)), n_fft, hop, win, length=len(noisy)))
    return np.mean(outs, axis=0)


def test_mss_matches_equations_1_and_2(white) -> None:
    _, noisy = white
    cfg = mss_mod.MSSConfig(noise_from="leading")  # the paper's noise: the leading frames
    out = mss_mod.MSS(cfg).denoise(noisy, SR)
    ref = _mss_reference(noisy, cfg.parsed_scales(), cfg.alpha, cfg.noise_seconds)
    np.testing.assert_allclose(out, ref, atol=1e-6)


@pytest.mark.parametrize("beta", [0.0, 0.05])
def test_mss_single_scale_equals_magnitude_specsub(white, beta: float) -> None:
    _, noisy = white
    mss = mss_mod.MSS(mss_mod.MSSConfig(scales=("1024:256:hann",), alpha=1.8, beta=beta))
    ss = specsub_mod.SpecSub(specsub_mod.SpecSubConfig(n_fft=1024, hop=256, window="hann", alpha=1.8, beta=beta, power=1.0))
    np.testing.assert_allclose(mss.denoise(noisy, SR), ss.denoise(noisy, SR), atol=1e-7)


def test_mss_alpha_zero_is_perfect_reconstruction(white) -> None:
    _, noisy = white
    out = mss_mod.MSS(mss_mod.MSSConfig(alpha=0.0)).denoise(noisy, SR)
    np.testing.assert_allclose(out, noisy, atol=1e-6)


def test_config_overrides_parse_and_change_output(white) -> None:
    _, noisy = white
    base = mss_mod.MSSConfig()
    cfg = base.updated({"alpha": "2.0", "scales": "256:64:hann,512:128:hann"})
    assert cfg.alpha == 2.0 and cfg.scales == ("256:64:hann", "512:128:hann")
    assert cfg.parsed_scales() == [(256, 64, "hann"), (512, 128, "hann")]
    assert not np.allclose(mss_mod.MSS(cfg).denoise(noisy, SR), mss_mod.MSS(base).denoise(noisy, SR))
    assert mss_mod.MSS.config_for("smoke", {"scales": "512:128"}).scales == ("512:128",)
    assert mss_mod.MSSConfig(scales=((512, 128, "hann"),)).scales == ("512:128:hann",)
    for bad in ({"scales": "512"}, {"scales": "512:1024:hann"}, {"scales": "512:128:nowindow"}, {"alpha": "-1"}, {"alfa": "1"}):
        with pytest.raises(BenchError):
            base.updated(bad)
    wcfg = METHODS.get("wiener").Config().updated({"vad_update": "true", "gain_floor": "0.2"})
    assert wcfg.vad_update is True and wcfg.gain_floor == 0.2
    ss = specsub_mod.SpecSubConfig().updated({"power": "1", "noise_frames": "5"})
    assert ss.power == 1.0 and ss.noise_frames == 5


def test_mss_noise_from_the_quietest_stretch_when_the_audio_starts_with_speech() -> None:
    from talkbench.methods.enhance.mss import MSS, MSSConfig
    from talkbench.methods.enhance.noise_estimate import quietest_segment_start

    rng = np.random.default_rng(0)
    sr = 16000
    t = np.arange(3 * sr) / sr
    speech = np.where((t < 1.0) | (t > 2.0), 0.3 * np.sin(2 * np.pi * 220 * t), 0.0)  # a pause in the middle only
    noise = 0.02 * rng.standard_normal(len(t))
    noisy = (speech + noise).astype(np.float32)
    start = quietest_segment_start(noisy, sr, 0.25)
    assert 1.0 * sr <= start <= 1.75 * sr
    assert quietest_segment_start(noisy[:100], sr, 0.25) == 0

    def kept_speech(cfg: MSSConfig) -> float:
        out = MSS(cfg).enhance(noisy, sr)
        talk = slice(int(0.3 * sr), int(0.9 * sr))
        return float(np.sqrt(np.mean(out[talk] ** 2)) / np.sqrt(np.mean(speech[talk] ** 2)))

    # The leading frames hold the speech itself, so "leading" subtracts the speech's own spectrum.
    assert kept_speech(MSSConfig(noise_from="quietest")) > 0.8
    assert kept_speech(MSSConfig(noise_from="leading")) < 0.5
    with pytest.raises(BenchError):
        MSSConfig(noise_from="middle")
