"""espeak-ng synthesis: a generator's audio does not depend on what the process synthesised before."""

from __future__ import annotations

import numpy as np

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
