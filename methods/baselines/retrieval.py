"""`retrieval`: for each test frame, the training frame whose audio window is nearest in log-mel space."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from talkbench.audio_features.log_mel import frame_windows, log_mel
from talkbench.core.errors import InputError
from talkbench.core.config import MethodConfig, bounded
from talkbench.core.method import Capabilities, Method
from talkbench.core.types import Checkpoint, Clip, Drive, Video


@dataclass
class RetrievalConfig(MethodConfig):
    """Nearest-neighbour lip-sync baseline settings."""

    n_mels: int = bounded(80, 1, 201)
    """Mel bands of the log-mel features (25 ms Hann windows, 10 ms hop)."""
    window_s: float = bounded(0.2, 0, low_open=True)
    """Audio context per video frame, centred on it (0.2 s = SyncNet's 5-frame window)."""
    smooth: int = bounded(1, 1)
    """Median-filter width over the chosen indices (1 = none); larger values trade sync for less jitter."""


class Retrieval(Method):
    """Audio-to-frame nearest neighbour: a real, cheap lip-sync baseline with no learning."""

    name = "retrieval"
    CAPABILITIES = Capabilities(inputs=frozenset({"audio"}))
    Config = RetrievalConfig

    def _features(self, audio: np.ndarray, num_frames: int, fps: float) -> np.ndarray:
        cfg: RetrievalConfig = self.config  # type: ignore[assignment]
        mel = log_mel(audio, n_mels=cfg.n_mels)
        windows = frame_windows(mel, num_frames, fps, window_s=cfg.window_s)
        return windows.reshape(num_frames, -1)

    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Index every training frame by its audio window (normalised with training statistics)."""
        feats = self._features(train_clip.audio, train_clip.num_frames, train_clip.fps)
        mean, std = feats.mean(axis=0), feats.std(axis=0) + 1e-6
        np.savez(workdir / "index.npz", frames=train_clip.frames, feats=(feats - mean) / std, mean=mean, std=std)
        return Checkpoint(path=workdir, meta={"indexed_frames": train_clip.num_frames})

    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """Pick, per driving-audio window, the nearest training frame (L2 on normalised log-mel)."""
        path = checkpoint.path / "index.npz"
        try:
            with np.load(path, allow_pickle=False) as index:
                frames, bank, mean, std = index["frames"], index["feats"], index["mean"], index["std"]
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"{path}: corrupt checkpoint ({exc})") from exc
        query = (self._features(drive.audio, drive.num_frames, drive.fps) - mean) / std
        # Squared distances via the expansion |q|^2 - 2 q.b + |b|^2, chunk-free at these sizes.
        dist = (query**2).sum(1)[:, None] - 2.0 * query @ bank.T + (bank**2).sum(1)[None, :]
        chosen = dist.argmin(axis=1)
        cfg: RetrievalConfig = self.config  # type: ignore[assignment]
        if cfg.smooth > 1:
            from scipy.ndimage import median_filter

            chosen = median_filter(chosen, size=cfg.smooth, mode="nearest")
        video = Video(frames=frames[chosen], fps=drive.fps, audio=drive.audio)
        self.last_choice = chosen
        return video
