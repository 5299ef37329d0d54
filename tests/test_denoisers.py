"""Speech denoisers (passthrough, specsub, mss, wiener, noisereduce) and the talkbench.harness.denoise API.

The test signal is real (espeak-ng) speech after 0.5 s of silence, so the leading frames hold
noise only (the assumption of WildTalker's MSS), mixed with seeded white or pink noise at 5 dB.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import talkbench.methods.enhance.mss as mss_mod
import talkbench.methods.enhance.passthrough  # noqa: F401 - registers "passthrough"
import talkbench.methods.enhance.spectral_gating as gating_mod
import talkbench.methods.enhance.specsub as specsub_mod
import talkbench.methods.enhance.wiener  # noqa: F401 - registers "wiener"
from talkbench.core.method import Enhancer
from talkbench import dsp
from talkbench.datasets.speech import make_noise, synthesize
from talkbench.harness.denoise import denoise, denoise_file
from talkbench.core.errors import BenchError, InputError
from talkbench.io.audio import read_audio, write_audio
from talkbench.core.registries import METHODS

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


def make_mixture(kind: str, snr: float = 5.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy) float32: 0.5 s silence + speech + 0.1 s silence, noise scaled to `snr` dB over the clip."""
    speech = synthesize(TEXT).astype(np.float64)
    clean = np.concatenate([np.zeros(SR // 2), speech, np.zeros(SR // 10)])
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


def test_passthrough_is_identity(white) -> None:
    _, noisy = white
    out = build("passthrough").denoise(noisy, SR)
    np.testing.assert_array_equal(out, noisy)
    assert out is not noisy


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
    cfg = mss_mod.MSSConfig()
    out = mss_mod.MSS(cfg).denoise(noisy, SR)
    ref = _mss_reference(noisy, cfg.parsed_scales(), cfg.alpha, cfg.noise_seconds)
    np.testing.assert_allclose(out, ref, atol=1e-6)


def test_blockwise_filtering_equals_whole_signal(white) -> None:
    _, noisy = white
    for n_fft, hop in [(512, 128), (2048, 512), (400, 160)]:
        for power in (1.0, 2.0):
            args = (noisy, SR, n_fft, hop, "hann", 1.7, 0.03, power, 0, 0.25)
            whole = specsub_mod.subtract_one_scale(*args, block_samples=10**9)
            blocks = specsub_mod.subtract_one_scale(*args, block_samples=3000)
            np.testing.assert_allclose(blocks, whole, atol=1e-9)


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


def test_noisereduce_records_library_version() -> None:
    assert gating_mod.SpectralGating.library_version == metadata.version("noisereduce")
    assert METHODS.get("noisereduce") is gating_mod.SpectralGating


def test_enhance_denoise_api(white) -> None:
    _, noisy = white
    out = denoise(noisy)
    np.testing.assert_array_equal(out, mss_mod.MSS().denoise(noisy, SR))
    a = denoise(noisy, 16000, method="mss", alpha=2.0, scales=[(512, 128, "hann")])
    b = denoise(noisy, 16000, method="mss", alpha="2.0", scales="512:128:hann")
    np.testing.assert_array_equal(a, b)
    assert denoise(noisy, method="passthrough").dtype == np.float32
    with pytest.raises(InputError, match="44100"):
        denoise(noisy, 44100)
    with pytest.raises(InputError, match="mono"):
        denoise(np.stack([noisy, noisy]), 16000)
    with pytest.raises(InputError, match="NaN"):
        denoise(np.full(1000, np.nan, np.float32))
    with pytest.raises(BenchError, match="did you mean"):
        denoise(noisy, alfa=2.0)
    with pytest.raises(BenchError):
        denoise(noisy, method="retrieval")


def test_enhance_denoise_file_round_trip(tmp_path: Path, white) -> None:
    _, noisy = white
    src, dst = tmp_path / "noisy.wav", tmp_path / "clean.wav"
    write_audio(src, noisy * 0.5)
    notes = denoise_file(src, dst, "mss", {"alpha": "1.5"})
    assert notes == []
    back, _ = read_audio(dst, resample=False)
    expected = mss_mod.MSS().denoise(read_audio(src)[0], SR)
    assert back.shape == noisy.shape
    np.testing.assert_allclose(back, expected, atol=2 / 32768)
    # a 48 kHz stereo file is conformed (with notes) before denoising
    import soundfile as sf

    stereo = np.stack([noisy, noisy], axis=1)[: SR] * 0.5
    sf.write(str(tmp_path / "stereo48k.wav"), np.repeat(stereo, 3, axis=0), 48000)
    notes = denoise_file(tmp_path / "stereo48k.wav", tmp_path / "out.wav", "wiener", {})
    assert any("downmixed" in n for n in notes) and any("resampled" in n for n in notes)
    assert len(read_audio(tmp_path / "out.wav")[0]) == SR


def test_centered_slice_is_reflect_then_zero_padding() -> None:
    """The one padding rule (talkbench.dsp.centered_slice) used by dsp.stft and the block driver alike."""
    x = np.arange(1, 3001, dtype=np.float32)
    for n_fft, hop in [(512, 128), (400, 160), (2048, 512)]:
        pad = n_fft // 2
        n_frames = int(np.ceil((len(x) + 2 * pad - n_fft) / hop)) + 1
        total = (n_frames - 1) * hop + n_fft
        ref = np.pad(np.pad(x, pad, mode="reflect"), (0, total - len(x) - 2 * pad))
        for lo, hi in [(0, total), (0, 700), (100, 2000), (2500, total), (pad, pad + len(x))]:
            np.testing.assert_array_equal(dsp.centered_slice(x, lo, hi, pad), ref[lo:hi])
        expected = np.fft.rfft(dsp.frame_signal(ref, n_fft, hop) * dsp.window("hann", n_fft), axis=1)
        np.testing.assert_allclose(dsp.stft(x, n_fft, hop), expected, atol=1e-9)


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


def test_quietest_stretch_skips_digital_silence() -> None:
    from talkbench.methods.enhance.noise_estimate import quietest_segment_start

    sr = 16000
    rng = np.random.default_rng(1)
    audio = np.concatenate([np.zeros(sr), 0.01 * rng.standard_normal(sr), 0.3 * rng.standard_normal(sr)]).astype(np.float32)
    assert sr <= quietest_segment_start(audio, sr, 0.25) <= 1.75 * sr   # the faint noise, not the zeros
    assert quietest_segment_start(np.zeros(sr, np.float32), sr, 0.25) == 0
