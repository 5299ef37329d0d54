"""The Denoiser interface: an `enhance`-task Method whose render is `denoise(drive.audio)`."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import numpy as np

from talkbench.core.types import SAMPLE_RATE, Checkpoint, Clip, Drive, Method, Video


class Denoiser(Method):
    """A speech-enhancement method: noisy mono audio in, enhanced audio of the same length out."""

    task = "enhance"

    def denoise(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        """Enhance one utterance; returns float32 of the same length (empty input gives empty output)."""
        audio = np.asarray(audio, dtype=np.float32)
        if audio.size == 0:
            return audio.copy()
        return np.asarray(self.enhance(audio, sample_rate), dtype=np.float32)

    @abstractmethod
    def enhance(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The method proper, on a non-empty float32 utterance; same length out."""

    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Classical denoisers learn nothing from data."""
        return Checkpoint(path=workdir)

    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """The enhanced driving audio (no frames)."""
        audio = self.denoise(drive.audio, drive.sample_rate)
        return Video(frames=np.zeros((0, 1, 1, 3), np.uint8), fps=drive.fps, audio=audio, sample_rate=drive.sample_rate)
