"""Speech for the synthetic datasets (datasets/speech.py): espeak-ng synthesis (a generator's audio does not depend on
what the process synthesised before), speech tracks, noise segments and the ALSA source."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.errors import BenchError
from talkbench.core.types import SAMPLE_RATE
from talkbench.datasets import speech


def test_espeak_keeps_state_and_a_reset_forgets_it() -> None:
    """The library's own state makes a repeated utterance differ; `reset_engine` brings the first one back."""
    text = "The quick brown fox jumps over the lazy dog."
    speech.reset_engine()
    first = speech._synthesize_cached.__wrapped__(text, "en-us", 160, 50)
    again = speech._synthesize_cached.__wrapped__(text, "en-us", 160, 50)
    assert not np.array_equal(first, again)  # why the reset exists
    speech.reset_engine()
    np.testing.assert_array_equal(speech._synthesize_cached.__wrapped__(text, "en-us", 160, 50), first)


def test_speech_track_is_the_same_whatever_ran_before() -> None:
    texts = ["Hello there.", "How are you today?"]
    track = speech.speech_track(["espeak"], texts, 3.0, seed=7)
    for voice in ("en+m3", "en", "en+f4"):  # other synthesis in between, as a second dataset would do
        speech.synthesize("Something else entirely.", voice=voice, rate=180, pitch=70)
    np.testing.assert_array_equal(speech.speech_track(["espeak"], texts, 3.0, seed=7), track)


def test_wild_full_rotation_of_noise_types():
    clean = speech.speech_track(["espeak"], ["One two three four five.", "Six seven eight nine ten."], 6.0, 1)
    noisy, segments = speech.add_noise_segments(clean, list(speech.NOISE_TYPES), 5.0, 1.0, 2, ["Hello there, how are you?"])
    assert [s["type"] for s in segments] == list(speech.NOISE_TYPES) + ["white"]
    for seg in segments:
        c = clean[seg["start"] : seg["stop"]].astype(np.float64)
        n = noisy[seg["start"] : seg["stop"]].astype(np.float64) - c
        assert abs(10 * np.log10(np.sum(c**2) / np.sum(n**2)) - 5.0) < 0.5, seg["type"]


def test_espeak_speaks():
    text = "The quick brown fox jumps over the lazy dog."
    audio = speech.synthesize(text)
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = len(audio) / SAMPLE_RATE
    assert 1.0 < seconds < 6.0
    assert np.sqrt(np.mean(audio**2)) > 0.01 and np.max(np.abs(audio)) <= 1.0
    assert np.array_equal(audio, speech.synthesize(text))
    assert len(speech.synthesize(text, rate=300)) < len(audio)
    for voice in speech.VOICES:
        assert np.max(np.abs(speech.synthesize("Hello.", voice=voice))) > 0.05


def test_speech_track_exact_length_and_deterministic():
    texts = ["Good morning.", "Thank you very much."]
    a = speech.speech_track(["espeak"], texts, 3.3, 11)
    assert a.shape == (int(round(3.3 * SAMPLE_RATE)),) and a.dtype == np.float32
    assert np.array_equal(a, speech.speech_track(["espeak"], texts, 3.3, 11))
    assert not np.array_equal(a, speech.speech_track(["espeak"], texts, 3.3, 12))
    assert np.max(np.abs(a)) == pytest.approx(0.9, abs=1e-4)


def test_alsa_source_missing_is_a_clear_error():
    if speech.ALSA_SOUNDS.is_dir() and any(speech.ALSA_SOUNDS.glob("*.wav")):
        assert speech.alsa_phrases()
        return
    with pytest.raises(BenchError, match="alsa-utils"):
        speech.speech_track(["alsa"], [], 1.0, 0)
