"""`WildTalkerModel` (methods/wildtalker/model.py): MSS with the recording's noise as the audio front end."""

from __future__ import annotations

import numpy as np
import pytest


def test_mss_with_the_recordings_noise_subtracts_it_from_any_drive() -> None:
    from talkbench.methods.enhance.mss import MSS, MSSConfig
    from talkbench.methods.wildtalker.config import WildTalkerConfig
    from talkbench.methods.wildtalker.model import WildTalkerModel

    rng = np.random.default_rng(0)
    sr = 16000
    t = np.arange(2 * sr) / sr
    noise = (0.02 * rng.standard_normal(len(t))).astype(np.float32)
    training = np.concatenate([noise[:sr // 2], (0.3 * np.sin(2 * np.pi * 220 * t[:sr]) + noise[:sr]).astype(np.float32)])
    model = WildTalkerModel(WildTalkerConfig(mss=True, mss_noise_from="training"))
    sample = model.noise_reference(training, sr)
    assert sample is not None and len(sample) == sr // 4 and np.sqrt(np.mean(sample ** 2)) < 0.03   # the quiet part
    drive = (0.3 * np.sin(2 * np.pi * 220 * t[:sr]) + noise[sr:]).astype(np.float32)               # all speech
    out = model.audio_frontend(drive, sr, sample)
    joined = MSS(MSSConfig(noise_from="leading")).enhance(np.concatenate([sample, drive]), sr)[len(sample):]
    assert out.shape == drive.shape and np.allclose(out, joined)
    own = WildTalkerModel(WildTalkerConfig(mss_noise_from="leading")).audio_frontend(drive, sr)  # the drive's own "noise" is speech
    clean = 0.3 * np.sin(2 * np.pi * 220 * t[:sr])
    assert np.mean((out - clean) ** 2) < 0.5 * np.mean((own - clean) ** 2)
    assert np.array_equal(WildTalkerModel(WildTalkerConfig(mss=False)).audio_frontend(drive, sr), drive)
    with pytest.raises(ValueError):
        model.audio_frontend(drive, sr, None)
