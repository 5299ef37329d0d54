"""What every audio feature extractor is: the `AudioExtractor` record, and the window helpers they share.

An extractor maps 16 kHz mono float32 audio to windows at 25 per second [N, W, D] (W rows of D
channels); `frame_windows_25` turns those into one window per video frame, transposed for AudioNet
([T, D, W]). Frame alignment: the references' windows come 25 per second (two 50 Hz rows per frame)
and frame i takes window min(i, N - 1) (their loaders' `aud_id` clamp). For a clip at another rate,
frame i takes window round(i * 25 / fps), clamped the same way; a clip too short for any window gets
zero windows (the references pad missing features with zeros).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

WINDOW_ROWS = 16
"""Rows of the references' per-frame window (16 rows of 20 ms) and of the log-mel windows."""

ROW_MS = 20.0
"""Duration of one window row in ms (the ASR models' 50 rows per second)."""

WINDOWS_PER_SECOND = 25.0
"""The references' windows come at 25 per second (every second 50 Hz row), one per 25 fps frame."""


@dataclass(frozen=True)
class AudioExtractor:
    """One named feature extractor and what it follows."""

    name: str
    weights: str | None
    """Entry of `talkbench.infra.weights` it needs (None: none)."""
    window: int
    """W: rows per frame window."""
    normalised: bool
    """True when the trainer standardises the windows with training statistics (the references feed ASR outputs raw)."""
    protocol: str
    """What the features are, in one line (its module's docstring has the details)."""
    fixed_dims: int = 0
    """D when the model fixes it (DeepSpeech's 29); otherwise read from the snapshot's config."""
    dims_key: str = ""
    """config.json key giving D (hidden_size for HuBERT, vocab_size for a CTC head)."""
    run: Callable[..., np.ndarray] | None = None
    """(extractor, audio, path, sha256, device) -> windows at 25 per second [N, W, D]."""
    needs: Callable[[], str] | None = None
    """Returns why a package it needs is missing ("" when none is)."""

    def dims(self, n_mels: int = 80) -> int:
        """D: channels per window row (needs the installed snapshot for the Hugging Face extractors)."""
        if self.weights is None:
            return int(n_mels)
        if self.fixed_dims:
            return self.fixed_dims
        from talkbench.infra import weights
        from talkbench.zoo.hf import read_config

        return int(read_config(weights.require(self.weights))[self.dims_key])


def frame_windows_25(windows: np.ndarray, num_frames: int, fps: float) -> np.ndarray:
    """Windows at 25 per second [N, W, D] -> one per video frame, transposed for AudioNet: [T, D, W].

    Frame i takes window round(i * 25 / fps) clamped to N - 1 (at 25 fps: min(i, N - 1), the
    references' aud_id clamp); with no window at all every frame gets zeros.
    """
    n, rows, dims = windows.shape
    if n == 0:
        return np.zeros((num_frames, dims, rows), np.float32)
    idx = np.minimum(np.round(np.arange(num_frames) * WINDOWS_PER_SECOND / float(fps)).astype(np.int64), n - 1)
    return np.ascontiguousarray(windows[idx].transpose(0, 2, 1), dtype=np.float32)


def strided_windows(rows: np.ndarray, size: int = WINDOW_ROWS, stride: int = 2, count: int | None = None) -> np.ndarray:
    """Windows of `size` rows every `stride` rows, window j = rows [stride*j - size/2, stride*j + size/2) zero-padded.

    [M, C] -> [count, size, C]; `count` defaults to M // stride + 1 (what `F.unfold` with padding size/2 gives).
    """
    m, c = rows.shape
    count = m // stride + 1 if count is None else count
    half = size // 2
    padded = np.concatenate([np.zeros((half, c), rows.dtype), rows, np.zeros((half, c), rows.dtype)])
    index = stride * np.arange(count)[:, None] + np.arange(size)[None, :]
    return padded[index]
