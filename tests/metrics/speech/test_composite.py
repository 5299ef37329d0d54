"""The composite measures CSIG/CBAK/COVL (metrics/speech/composite.py): the published check, closed forms and
clipping."""

from __future__ import annotations

import math

import numpy as np
import pesq as pesq_pkg
import pytest
from scipy.linalg import solve_toeplitz

from talkbench.core.types import Audio
from talkbench.metrics.speech import composite as comp
from talkbench.metrics.speech.common import loizou_num_frames, loizou_window
from talkbench.metrics.speech.composite import CBAK, COVL, CSIG, composite, composite_from_measures, llr, llr_frames, wss, wss_frames
from tests.kit.speech import FS, f64, mix, noisy_pair, speech  # noqa: F401 - fixtures


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
