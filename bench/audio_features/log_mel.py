"""The `log-mel` extractor (the default; offline, no weights) and the log-mel helpers shared by methods that listen.

talkbench's own front end: log-mel rows every 10 ms (`log_mel`), 32 of them (0.32 s) centred on each
frame, adjacent pairs averaged: [T, n_mels, 16], i.e. the references' 16 rows of 20 ms with mel bands
in place of ASR outputs. Normalised per band with the training clip's statistics by the trainer (its
values are logs of powers).
"""

from __future__ import annotations

import numpy as np

from talkbench import dsp
from talkbench.audio_features.base import ROW_MS, WINDOW_ROWS, AudioExtractor
from talkbench.core.types import SAMPLE_RATE


def log_mel(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, n_mels: int = 80,
            win_ms: float = 25.0, hop_ms: float = 10.0) -> np.ndarray:
    """Log-mel spectrogram [frames, n_mels] (power, natural log with a floor), 10 ms hop by default.

    Through talkbench's one STFT (`talkbench.dsp`, Hann, centred) and a Slaney mel filterbank: the values of
    librosa.feature.melspectrogram's defaults up to the edge frames' padding (reflected here), without importing
    librosa, whose numba kernels compile for about 20 s on a fresh install's first run."""
    win = int(round(sample_rate * win_ms / 1000))
    hop = int(round(sample_rate * hop_ms / 1000))
    power = np.abs(dsp.stft(np.asarray(audio, dtype=np.float32), n_fft=win, hop=hop, win="hann", center=True)) ** 2
    mel = power @ dsp.mel_filterbank(sample_rate, win, n_mels).T
    return np.log(mel + 1e-6).astype(np.float32)


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


def log_mel_windows(audio: np.ndarray, num_frames: int, fps: float, sample_rate: int = SAMPLE_RATE,
                    n_mels: int = 80) -> np.ndarray:
    """Per video frame, 16 rows x n_mels of log-mel centred on it: float32 [T, n_mels, 16].

    Log-mel rows come every 10 ms; a window of 32 of them (0.32 s) is taken per frame and
    adjacent pairs are averaged, giving the 16 rows at 20 ms of the references' ASR windows.
    """
    if num_frames < 1:
        raise ValueError(f"audio_windows: num_frames must be >= 1, got {num_frames}")
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"audio_windows: audio must be {SAMPLE_RATE} Hz, got {sample_rate}")
    audio = np.asarray(audio, np.float32)
    if audio.size < 400:  # shorter than one STFT window: pad with silence
        audio = np.pad(audio, (0, 400 - audio.size))
    mel = log_mel(audio, sample_rate=sample_rate, n_mels=n_mels)  # [rows, n_mels], 10 ms hop
    rows10 = int(round(2 * WINDOW_ROWS * ROW_MS / 20.0))
    windows = frame_windows(mel, num_frames, fps, hop_ms=10.0, window_s=rows10 * 0.010)  # [T, 32, n_mels]
    windows = windows[:, : 2 * WINDOW_ROWS].reshape(num_frames, WINDOW_ROWS, 2, n_mels).mean(axis=2)
    return np.ascontiguousarray(windows.transpose(0, 2, 1), dtype=np.float32)


LOG_MEL = AudioExtractor(
    name="log-mel", weights=None, window=WINDOW_ROWS, normalised=True,
    protocol="log-mel (25 ms window, 10 ms hop), 32 rows centred on the frame, pairs averaged: 16 rows x 20 ms "
             "(talkbench's offline default in place of the references' ASR features)",
)
"""No `run`: `extract` computes per-frame windows directly with `log_mel_windows` (they need the frame rate)."""
