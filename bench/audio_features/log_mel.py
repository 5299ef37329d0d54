"""Audio features aligned to video frames (log-mel windows), shared by methods that listen."""

from __future__ import annotations

import librosa
import numpy as np

from talkbench.core.types import SAMPLE_RATE


def log_mel(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, n_mels: int = 80,
            win_ms: float = 25.0, hop_ms: float = 10.0) -> np.ndarray:
    """Log-mel spectrogram [frames, n_mels] (power, natural log with a floor), 10 ms hop by default."""
    win = int(round(sample_rate * win_ms / 1000))
    hop = int(round(sample_rate * hop_ms / 1000))
    mel = librosa.feature.melspectrogram(y=audio.astype(np.float32), sr=sample_rate, n_fft=win, hop_length=hop,
                                         win_length=win, n_mels=n_mels, power=2.0, center=True)
    return np.log(mel + 1e-6).T.astype(np.float32)


def frame_windows(features: np.ndarray, num_frames: int, fps: float, hop_ms: float = 10.0,
                  window_s: float = 0.2) -> np.ndarray:
    """For each video frame, the feature rows in a window centred on it: [num_frames, W, D] (edges padded)."""
    steps_per_second = 1000.0 / hop_ms
    width = max(1, int(round(window_s * steps_per_second)))
    centres = np.round((np.arange(num_frames) + 0.5) / fps * steps_per_second).astype(int)
    starts = centres - width // 2
    padded = np.pad(features, ((width, width), (0, 0)), mode="edge")
    index = starts[:, None] + np.arange(width)[None, :] + width
    index = np.clip(index, 0, len(padded) - 1)
    return padded[index]
