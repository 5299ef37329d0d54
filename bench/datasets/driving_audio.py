"""The driving audio of the `lipsync` task's conditions: the test split's clean speech and a corrupted copy.

* `original`: the clean speech of the test split (`audio_tracks["clean"]` of a noisy card such as
  synthetic-portrait-wild, else the clip's own audio).
* `corrupted`: the noisy speech. A card whose audio is already noisy (it carries a clean track)
  drives with that audio as recorded. Otherwise noise is added to the clean speech with the card's
  `[lipsync]` table (noise types rotating per segment, each segment at `snr_db` against its speech;
  `talkbench.datasets.speech.add_noise_segments`, seeded, so every run hears the same noise); cards without
  that table use `DEFAULT_CORRUPTION` (babble only where the card has texts to speak).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from talkbench.core.types import Clip

DEFAULT_CORRUPTION: dict[str, Any] = {"snr_db": 5.0, "noise_types": ["white", "pink", "babble", "hum", "clicks"],
                                      "noise_segment_seconds": 2.0, "seed": 20240601}
"""WildTalker did not publish its corruption (noise "sourced from YouTube"); these are talkbench's, recorded per result."""


def condition_audio(test: Clip, condition: str, card_data: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """(float32 driving audio of the test split for `condition`, how it was made)."""
    clean = test.audio_tracks.get("clean")
    if condition == "original":
        if clean is not None:
            return np.asarray(clean, np.float32), {"audio": "the clean speech track of the test split"}
        return np.asarray(test.audio, np.float32), {"audio": "the test split's own audio"}
    if condition != "corrupted":
        raise ValueError(f"unknown lipsync condition {condition!r}; use original or corrupted")
    if clean is not None:
        return np.asarray(test.audio, np.float32), {"audio": "the card's noisy audio of the test split",
                                                     "corruption": card_data.get("wild", {})}
    from talkbench.datasets.speech import add_noise_segments, reset_engine

    reset_engine()  # the babble is synthesised from espeak's initial state, whatever ran before in this process

    settings = {**DEFAULT_CORRUPTION, **card_data.get("lipsync", {})}
    texts = card_data.get("generator", {}).get("texts")
    kinds = [k for k in settings["noise_types"] if k != "babble" or texts]  # babble is spoken from the card's texts
    settings["noise_types"] = kinds
    noisy, segments = add_noise_segments(np.asarray(test.audio, np.float32), kinds, float(settings["snr_db"]),
                                         float(settings["noise_segment_seconds"]), int(settings["seed"]), texts)
    peak = float(np.max(np.abs(noisy))) if noisy.size else 0.0
    if peak > 0.99:  # keep it a valid waveform; the SNR is unchanged by a common gain
        noisy = noisy * (0.99 / peak)
    return noisy.astype(np.float32), {"audio": "the test split's speech with added noise", "corruption": settings,
                                      "segments": segments}
