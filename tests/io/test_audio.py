"""Audio reading and channel choice (bench/io/audio.py): `--channel mean|left|right|each`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from talkbench.core.errors import InputError
from talkbench.io.audio import read_audio, read_audio_channels, select_channels


def _stereo(n: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((n, 2))).astype(np.float32)


def test_select_channels_per_choice() -> None:
    x = _stereo()
    tracks, labels, notes = select_channels(x, "s.wav", "mean")
    np.testing.assert_array_equal(tracks[0], x)  # conform_audio downmixes it, with its note
    assert labels == ["mean"] and notes == []
    for channel, index in (("left", 0), ("right", 1)):
        tracks, labels, notes = select_channels(x, "s.wav", channel)
        np.testing.assert_array_equal(tracks[0], x[:, index])
        assert labels == [channel] and notes == [f"s.wav: 2-channel audio, the {channel} channel used"]
    tracks, labels, notes = select_channels(x.T, "s.wav", "each")  # [C, N] as PyAV gives it
    assert labels == ["left", "right"] and len(tracks) == 2
    np.testing.assert_array_equal(tracks[1], x[:, 1])
    tracks, labels, _ = select_channels(np.tile(x, (1, 2)), "quad.wav", "each")
    assert labels == ["left", "right", "channel 3", "channel 4"]
    mono = x[:, 0]
    tracks, labels, notes = select_channels(mono, "m.wav", "right")
    np.testing.assert_array_equal(tracks[0], mono)
    assert labels == ["mono"] and notes == ["m.wav: mono audio, --channel right uses its one channel"]
    with pytest.raises(InputError, match="--channel 'middle': must be one of mean, left, right, each"):
        select_channels(x, "s.wav", "middle")


def test_read_audio_channels_resamples_each_and_says_it_once(tmp_path: Path) -> None:
    x = _stereo(4800)
    path = tmp_path / "stereo48k.wav"
    sf.write(str(path), x, 48000, subtype="FLOAT")
    tracks, labels, notes = read_audio_channels(path, "each")
    assert labels == ["left", "right"] and [len(t) for t in tracks] == [1600, 1600]
    assert sum("resampled 48000 Hz -> 16000 Hz" in n for n in notes) == 1
    mean, mean_notes = read_audio(path)
    tracks, labels, notes = read_audio_channels(path)  # the default: today's downmix, with its note
    np.testing.assert_array_equal(tracks[0], mean)
    assert labels == ["mean"] and notes == mean_notes and any("downmixed to mono" in n for n in notes)
