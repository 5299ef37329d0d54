"""The speech metrics as a package (PESQ, STOI, composite, segSNR, SI-SDR) on real espeak speech: truncation notes
and monotonicity in the SNR."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.metrics.speech.composite import CBAK, COVL, CSIG
from talkbench.metrics.speech.pesq import PESQ, PESQNarrowBand
from talkbench.metrics.speech.snr import SISDR, SegSNR, segmental_snr
from talkbench.metrics.speech.stoi import ESTOI, STOI
from tests.kit.speech import FS, audio, mix, speech  # noqa: F401 - fixtures


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
