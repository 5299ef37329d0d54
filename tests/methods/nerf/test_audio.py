"""The NeRF audio parts (methods/nerf/audio.py): windows, neighbours, the encoder and the eye feature."""

from __future__ import annotations

import numpy as np
import torch

from talkbench.perception.eyes import eye_aspect_ratio
from talkbench.methods.nerf.audio import AudioEncoder, audio_windows, eye_feature, neighbour_indices


def test_audio_windows_neighbours_and_encoder() -> None:
    sr, fps, n = 16_000, 25.0, 10
    t = np.arange(int(sr * n / fps)) / sr
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * (t > 0.2)).astype(np.float32)
    win = audio_windows(audio, n, fps, sr, n_mels=24)
    assert win.shape == (n, 24, 16) and win.dtype == np.float32
    assert win[-1].mean() > win[0].mean()  # sound only after 0.2 s
    idx, valid = neighbour_indices(torch.tensor([0, 5, 9]), n)
    assert idx.shape == (3, 8) and idx[0].tolist() == [0, 0, 0, 0, 0, 1, 2, 3]
    assert valid[0].tolist() == [False] * 4 + [True] * 4 and valid[2].tolist() == [True] * 5 + [False] * 3
    enc = AudioEncoder(24, 32)
    out = enc(torch.from_numpy(win), torch.tensor([0, 4, 9]))
    assert out.shape == (3, 32) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None for p in enc.parameters())


def test_eye_features() -> None:
    lm = np.zeros((2, 68, 2), np.float32)
    for eye in (slice(36, 42), slice(42, 48)):
        lm[:, eye] = [[0, 0], [1, -1], [3, -1], [4, 0], [3, 1], [1, 1]]
    lm[1, 37:39, 1] = 0.0  # upper lids lowered: half closed
    lm[1, 43:45, 1] = 0.0
    ear = eye_aspect_ratio(lm)
    np.testing.assert_allclose(ear, [0.5, 0.25], rtol=1e-6)
    assert eye_feature({"eye_ratio": np.array([0.1, 0.2])}, 2)[1] == "annotations.eye_ratio"
    assert eye_feature({"landmarks": lm}, 2)[1].startswith("eye aspect ratio")
    values, source = eye_feature({"blink": np.array([0.0, 1.0])}, 2)
    assert source == "1 - annotations.blink" and values.tolist() == [1.0, 0.0]
    assert eye_feature({}, 2) == (None, "none")
