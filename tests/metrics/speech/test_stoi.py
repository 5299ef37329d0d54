"""STOI / ESTOI (metrics/speech/stoi.py) against pystoi."""

from __future__ import annotations

import numpy as np
import pytest
from pystoi import stoi as pystoi_stoi

from talkbench.core.types import Audio
from talkbench.metrics.speech.stoi import ESTOI, STOI
from tests.kit.speech import FS, audio, f64, noisy_pair, speech  # noqa: F401 - fixtures


def test_stoi_and_estoi_equal_pystoi(noisy_pair: tuple[Audio, Audio]) -> None:
    pred, ref = noisy_pair
    s = STOI().compute(pred, ref)
    e = ESTOI().compute(pred, ref)
    # pystoi's float sums can differ in the last bit between calls (threaded BLAS): compare to 1e-12.
    assert s.value == pytest.approx(pystoi_stoi(f64(ref), f64(pred), FS, extended=False), rel=1e-12)
    assert e.value == pytest.approx(pystoi_stoi(f64(ref), f64(pred), FS, extended=True), rel=1e-12)
    assert s.details["extended"] is False and e.details["extended"] is True
    assert STOI.precision == 3 and ESTOI.name == "estoi"


def test_stoi_too_short_is_unavailable(speech: np.ndarray) -> None:
    result = STOI().compute(audio(speech[:4000], "a.wav"), audio(speech[:4000], "b.wav"))
    assert result.value is None and "30" in result.unavailable_reason
