"""What the speech metrics share (metrics/speech/common.py): pair checks and Loizou's framing."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.errors import InputError
from talkbench.metrics.speech.common import check_pair, loizou_framing, loizou_num_frames, loizou_window
from talkbench.metrics.speech.pesq import PESQ
from talkbench.metrics.speech.stoi import STOI
from tests.kit.speech import FS, audio, speech  # noqa: F401 - fixtures


def test_check_pair_equal_and_truncated(speech: np.ndarray) -> None:
    p, r, notes = check_pair(audio(speech, "a"), audio(speech, "b"))
    assert p.dtype == np.float64 and r.dtype == np.float64 and notes["length"] == "equal"
    assert notes["sample_rate"] == FS and notes["samples"] == len(speech)
    p, r, notes = check_pair(audio(speech[:-100], "short.wav"), audio(speech, "long.wav"))
    assert len(p) == len(r) == len(speech) - 100
    assert "truncated" in notes["length"] and "short.wav" in notes["length"] and "long.wav" in notes["length"]


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


def test_loizou_framing_and_window() -> None:
    assert loizou_framing(16000) == (480, 120) and loizou_framing(8000) == (240, 60)
    assert loizou_num_frames(48000, 16000) == 396  # floor(48000/120 - 480/120): last full frame skipped
    k = np.arange(1, 481)
    np.testing.assert_allclose(loizou_window(480), 0.5 * (1 - np.cos(2 * np.pi * k / 481)), atol=1e-15)
