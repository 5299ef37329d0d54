"""Speech metrics (PESQ, STOI, composite CSIG/CBAK/COVL, segSNR, SI-SDR) on real espeak speech.

PESQ and STOI are checked for exact equality with the reference packages on the same
arrays; the composite measures against the published check, closed forms and clipping.
"""

from __future__ import annotations

import math

import numpy as np
import pesq as pesq_pkg
import pytest
import soxr
from pystoi import stoi as pystoi_stoi
from scipy.linalg import solve_toeplitz

from talkbench.datasets.speech import make_noise, synthesize
from talkbench.core.errors import InputError
from talkbench.core.types import Audio
from talkbench.metrics.speech import composite as comp
from talkbench.metrics.speech.common import check_pair, loizou_framing, loizou_num_frames, loizou_window
from talkbench.metrics.speech.composite import (
    CBAK,
    COVL,
    CSIG,
    composite,
    composite_from_measures,
    llr,
    llr_frames,
    wss,
    wss_frames,
)
from talkbench.metrics.speech.pesq import PESQ, PESQNarrowBand, pesq_nb, pesq_wb
from talkbench.metrics.speech.snr import SISDR, SegSNR, segmental_snr, segmental_snr_frames, si_sdr
from talkbench.metrics.speech.stoi import ESTOI, STOI

FS = 16_000
TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """~2.9 s of espeak-ng speech, float64 at 16 kHz (deterministic)."""
    return synthesize(TEXT).astype(np.float64)


def mix(clean: np.ndarray, snr_db: float, seed: int = 3, kind: str = "pink") -> np.ndarray:
    """`clean` plus seeded noise scaled to a global SNR of `snr_db`."""
    noise = make_noise(kind, len(clean), np.random.default_rng(seed)).astype(np.float64)
    noise *= math.sqrt(np.mean(clean**2) / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    return clean + noise


def audio(x: np.ndarray, source: str, fs: int = FS) -> Audio:
    return Audio(samples=np.asarray(x, dtype=np.float32), sample_rate=fs, source=source)


@pytest.fixture(scope="module")
def noisy_pair(speech: np.ndarray) -> tuple[Audio, Audio]:
    """(pred, ref) Audio at 10 dB pink-noise SNR, float32 like the loaders produce."""
    return audio(mix(speech, 10.0), "noisy.wav"), audio(speech, "clean.wav")


def f64(a: Audio) -> np.ndarray:
    return a.samples.astype(np.float64)


# ----------------------------------------------------------------------------- pair checks


def test_check_pair_equal_and_truncated(speech: np.ndarray) -> None:
    p, r, notes = check_pair(audio(speech, "a"), audio(speech, "b"))
    assert p.dtype == np.float64 and r.dtype == np.float64 and notes["length"] == "equal"
    assert notes["sample_rate"] == FS and notes["samples"] == len(speech)
    p, r, notes = check_pair(audio(speech[:-100], "short.wav"), audio(speech, "long.wav"))
    assert len(p) == len(r) == len(speech) - 100
    assert "truncated" in notes["length"] and "short.wav" in notes["length"] and "long.wav" in notes["length"]


def test_mismatched_lengths_are_truncated_with_a_note(speech: np.ndarray) -> None:
    deg = mix(speech, 10.0)
    result = SegSNR().compute(audio(deg[:-321], "deg.wav"), audio(speech, "clean.wav"))
    assert result.available and "truncated" in result.details["length"]
    assert result.details["samples"] == len(speech) - 321
    n = len(speech) - 321
    expected = segmental_snr(speech.astype(np.float32)[:n].astype(np.float64),
                             deg.astype(np.float32)[:n].astype(np.float64), FS)
    assert result.value == expected
    pesq_result = PESQ().compute(audio(speech, "clean-copy.wav"), audio(deg[:-321], "deg.wav"))
    assert pesq_result.available and "truncated" in pesq_result.details["length"]


def test_mismatched_sample_rates_name_both_sources(speech: np.ndarray) -> None:
    with pytest.raises(InputError) as err:
        PESQ().compute(audio(speech, "enhanced/p232_001.wav", fs=8000), audio(speech, "clean/p232_001.wav"))
    message = str(err.value)
    assert "enhanced/p232_001.wav" in message and "clean/p232_001.wav" in message
    assert "8000" in message and "16000" in message


def test_silent_or_empty_reference_is_an_input_error(speech: np.ndarray) -> None:
    with pytest.raises(InputError, match="clean/silent.wav.*silent"):
        STOI().compute(audio(speech, "x.wav"), audio(np.zeros(16000), "clean/silent.wav"))
    with pytest.raises(InputError, match="clean/empty.wav.*empty"):
        STOI().compute(audio(speech, "x.wav"), audio(np.zeros(0), "clean/empty.wav"))


# ----------------------------------------------------------------------------- PESQ / STOI vs packages


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


def test_stoi_and_estoi_equal_pystoi(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    s = STOI().compute(pred, ref)
    e = ESTOI().compute(pred, ref)
    # pystoi's float sums can differ in the last bit between calls (threaded BLAS): compare to 1e-12.
    assert s.value == pytest.approx(pystoi_stoi(f64(ref), f64(pred), FS, extended=False), rel=1e-12)
    assert e.value == pytest.approx(pystoi_stoi(f64(ref), f64(pred), FS, extended=True), rel=1e-12)
    assert s.details["extended"] is False and e.details["extended"] is True
    assert STOI.precision == 3 and ESTOI.name == "estoi"


def test_silence_makes_pesq_unavailable_not_zero(speech: np.ndarray) -> None:
    silent = audio(np.zeros_like(speech), "silent-output.wav")
    ref = audio(speech, "clean.wav")
    for metric in (PESQ(), PESQNarrowBand(), CSIG(), CBAK(), COVL()):
        result = metric.compute(silent, ref)
        assert not result.available and result.value is None
        assert "silent" in result.unavailable_reason
    short = PESQ().compute(audio(speech[:2000], "short.wav"), audio(speech[:2000], "short-clean.wav"))
    assert short.value is None and "BufferTooShortError" in short.unavailable_reason


def test_stoi_too_short_is_unavailable(speech: np.ndarray) -> None:
    result = STOI().compute(audio(speech[:4000], "a.wav"), audio(speech[:4000], "b.wav"))
    assert result.value is None and "30" in result.unavailable_reason


# ----------------------------------------------------------------------------- composite


def test_composite_published_check() -> None:
    csig, cbak, covl = composite_from_measures(llr=0.681368, segsnr=3.991727, wss=49.671978, pesq=2.255732)
    assert (round(csig, 4), round(cbak, 4), round(covl, 4)) == (3.3050, 2.6160, 2.7133)


def test_composite_outputs_clipped_to_1_5() -> None:
    # excellent measures push every formula above 5 ...
    high = composite_from_measures(llr=0.0, segsnr=35.0, wss=0.0, pesq=4.64)
    assert 3.093 + 0.603 * 4.64 > 5 and 1.634 + 0.478 * 4.64 + 0.063 * 35 > 5 and 1.594 + 0.805 * 4.64 > 5
    assert high == (5.0, 5.0, 5.0)
    # ... and terrible ones below 1
    low = composite_from_measures(llr=2.0, segsnr=-10.0, wss=150.0, pesq=1.0)
    assert 3.093 - 1.029 * 2 + 0.603 - 0.009 * 150 < 1 and 1.634 + 0.478 - 0.007 * 150 - 0.63 < 1
    assert low == (1.0, 1.0, 1.0)


def test_loizou_framing_and_window() -> None:
    assert loizou_framing(16000) == (480, 120) and loizou_framing(8000) == (240, 60)
    assert loizou_num_frames(48000, 16000) == 396  # floor(48000/120 - 480/120): last full frame skipped
    k = np.arange(1, 481)
    np.testing.assert_allclose(loizou_window(480), 0.5 * (1 - np.cos(2 * np.pi * k / 481)), atol=1e-15)


def test_llr_and_wss_of_a_signal_against_itself_are_zero(speech: np.ndarray) -> None:
    x = speech + comp.EPS
    assert abs(llr(x, x, FS)) < 1e-6 and abs(wss(x, x, FS)) < 1e-6
    assert np.all(np.abs(wss_frames(x, x, FS)) < 1e-6)


def test_lpc_matches_toeplitz_solve(speech: np.ndarray) -> None:
    frames = np.stack([speech[s:s + 480] * loizou_window(480) for s in (4000, 12000, 20000)])
    order = comp.lpc_order(FS)
    assert order == 16 and comp.lpc_order(8000) == 10
    r = comp._autocorrelation(frames, order)
    poly = comp._levinson(r, order)
    for i in range(len(frames)):
        a = solve_toeplitz(r[i, :order], r[i, 1:order + 1])
        np.testing.assert_allclose(poly[i], np.concatenate([[1.0], -a]), rtol=1e-8, atol=1e-10)


def test_llr_closed_form_per_frame(speech: np.ndarray) -> None:
    deg = mix(speech, 5.0, kind="white")
    values = llr_frames(speech + comp.EPS, deg + comp.EPS, FS)
    assert len(values) == loizou_num_frames(len(speech), FS)
    # frame 30 by hand: log((a_p R_c a_p') / (a_c R_c a_c'))
    w = loizou_window(480)
    c, p = (speech[3600:4080] + comp.EPS) * w, (deg[3600:4080] + comp.EPS) * w
    rc = np.array([c[: 480 - k] @ c[k:] for k in range(17)])
    rp = np.array([p[: 480 - k] @ p[k:] for k in range(17)])
    ac = np.concatenate([[1.0], -solve_toeplitz(rc[:16], rc[1:])])
    ap = np.concatenate([[1.0], -solve_toeplitz(rp[:16], rp[1:])])
    toep = rc[np.abs(np.subtract.outer(np.arange(17), np.arange(17)))]
    assert values[30] == pytest.approx(math.log((ap @ toep @ ap) / (ac @ toep @ ac)), rel=1e-7)


def test_wss_nearest_peak_follows_wss_m() -> None:
    energy = np.array([[0.0, 5.0, 9.0, 7.0, 8.0, 3.0] + [3.0] * 19])
    slope = np.diff(energy, axis=1)
    peaks = comp._nearest_peaks(energy, slope)[0]
    # rising from band 0: wss.m stops at band 2's falling slope and takes energy[2 - 1]
    assert peaks[0] == 5.0 and peaks[1] == 5.0
    # falling at band 2: the peak to the left is band 2 itself; band 3 rises to band 4 -> energy[3]
    assert peaks[2] == 9.0 and peaks[3] == 7.0
    assert peaks[4] == 8.0 and peaks[10] == 8.0  # flat/falling: nearest rise on the left ends at band 4


def test_composite_classes_share_one_pass(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    comp.clear_cache()
    results = [cls().compute(pred, ref) for cls in (CSIG, CBAK, COVL)]
    assert comp.cache_info() == {"hits": 2, "misses": 1}
    direct = composite(f64(ref), f64(pred), FS)
    for result, key in zip(results, ("csig", "cbak", "covl")):
        assert result.name == key and result.value == direct[key] and 1.0 <= result.value <= 5.0
        assert result.details["pesq_mode"] == "wb"
        for k in ("pesq", "llr", "wss", "segsnr"):
            assert result.details[k] == direct[k]
    assert direct["pesq"] == pesq_pkg.pesq(FS, f64(ref), f64(pred), "wb")
    assert direct["pesq_mode"] == "wb" and direct["lpc_order"] == 16
    # a different pair is recomputed
    CSIG().compute(ref, ref)
    assert comp.cache_info()["misses"] == 2


# ----------------------------------------------------------------------------- segmental SNR


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


# ----------------------------------------------------------------------------- SI-SDR


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


# ----------------------------------------------------------------------------- monotonicity


def test_noisier_mix_scores_lower(speech: np.ndarray) -> None:
    ref = audio(speech, "clean.wav")
    metrics = [PESQ(), PESQNarrowBand(), STOI(), ESTOI(), CSIG(), CBAK(), COVL(), SegSNR(), SISDR()]
    scores: dict[str, list[float]] = {m.name: [] for m in metrics}
    for snr in (0.0, 10.0, 20.0):
        pred = audio(mix(speech, snr), f"mix{snr:g}.wav")
        for m in metrics:
            result = m.compute(pred, ref)
            assert result.available, (m.name, result.unavailable_reason)
            scores[m.name].append(result.value)
    for name, (v0, v10, v20) in scores.items():
        assert v0 <= v10 < v20, (name, v0, v10, v20)
        if not (name in {"csig", "covl"} and v0 == 1.0):  # CSIG/COVL sit on the lower clip at 0 dB
            assert v0 < v10, (name, v0, v10)
    assert scores["csig"][0] >= 1.0 and scores["si_sdr"][1] == pytest.approx(10.0, abs=0.5)
