"""The data that flows through talkbench: Clip, Video, Audio, Drive, Checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
"""Audio sample rate used everywhere in talkbench (Hz)."""


def train_test_split_index(n_frames: int) -> int:
    """Number of training frames under the papers' rule: the first int(N*10/11) frames train."""
    return int(n_frames * 10 / 11)


MIN_TEST_FRAMES = 5
"""Fewest test frames a prepared clip may have: one 5-frame SyncNet window (0.2 s), the shortest span every metric
scores. Fewer would rank methods on one or two frames."""


def min_clip_frames() -> int:
    """Fewest frames a clip needs for `MIN_TEST_FRAMES` test frames under the papers' split (45)."""
    n = MIN_TEST_FRAMES
    while n - train_test_split_index(n) < MIN_TEST_FRAMES:
        n += 1
    return n


@dataclass
class Clip:
    """A talking-portrait clip: frames, mono 16 kHz audio, per-frame annotations and a split."""

    name: str
    frames: np.ndarray
    """uint8 [T, H, W, 3] RGB frames."""
    fps: float
    audio: np.ndarray
    """float32 [N] mono audio at `sample_rate`."""
    sample_rate: int = SAMPLE_RATE
    annotations: dict[str, np.ndarray] = field(default_factory=dict)
    """Per-frame arrays whose first axis has length T (landmarks, head pose, masks, ...)."""
    audio_tracks: dict[str, np.ndarray] = field(default_factory=dict)
    """Other audio aligned with `audio` (e.g. "clean" speech of a noisy clip), sliced like it."""
    n_train: int | None = None
    """Frames [0, n_train) train, [n_train, T) test; None means the papers' 10/11 rule."""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.ndim != 4 or self.frames.shape[-1] != 3 or self.frames.dtype != np.uint8:
            raise ValueError(f"clip {self.name}: frames must be uint8 [T,H,W,3], got {self.frames.dtype} {self.frames.shape}")
        if self.audio.ndim != 1:
            raise ValueError(f"clip {self.name}: audio must be mono [N], got shape {self.audio.shape}")
        if self.n_train is None:
            self.n_train = train_test_split_index(len(self.frames))

    @property
    def num_frames(self) -> int:
        """Number of video frames."""
        return int(self.frames.shape[0])

    @property
    def resolution(self) -> tuple[int, int]:
        """(height, width) of the frames."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])

    def samples_per_frame(self) -> float:
        """Audio samples per video frame."""
        return self.sample_rate / self.fps

    def subclip(self, start: int, stop: int, name: str | None = None) -> "Clip":
        """Frames [start, stop) with the matching audio span and annotations."""
        spf = self.samples_per_frame()
        a0, a1 = int(round(start * spf)), int(round(stop * spf))
        return Clip(
            name=name or f"{self.name}[{start}:{stop}]",
            frames=self.frames[start:stop],
            fps=self.fps,
            audio=self.audio[a0:a1],
            sample_rate=self.sample_rate,
            annotations={k: v[start:stop] for k, v in self.annotations.items()},
            audio_tracks={k: v[a0:a1] for k, v in self.audio_tracks.items()},
            n_train=stop - start,
            meta=dict(self.meta, frame_offset=start),
        )

    def train(self) -> "Clip":
        """The training split."""
        return self.subclip(0, int(self.n_train), f"{self.name}/train")

    def test(self) -> "Clip":
        """The test split (evaluation frames)."""
        return self.subclip(int(self.n_train), self.num_frames, f"{self.name}/test")


@dataclass
class Video:
    """Rendered or reference frames, optionally with their audio."""

    frames: np.ndarray
    """uint8 [T, H, W, 3] RGB."""
    fps: float
    audio: np.ndarray | None = None
    sample_rate: int = SAMPLE_RATE
    source: str = ""
    """Where the video came from (a file path or a run stage), used in error messages."""

    @property
    def num_frames(self) -> int:
        """Number of frames."""
        return int(self.frames.shape[0])


@dataclass
class Audio:
    """A mono waveform with its sample rate (the input of speech metrics and denoisers)."""

    samples: np.ndarray
    """float32 [N] mono."""
    sample_rate: int = SAMPLE_RATE
    source: str = ""
    """Where it came from (a file path, an utterance id), used in error messages."""

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return len(self.samples) / self.sample_rate


@dataclass
class Drive:
    """What a method renders from: driving audio, the frame count and, for self-driven tests, head poses.

    `reference` (the ground-truth test clip) is only handed to methods whose capabilities list the
    input "ground_truth" (the oracle); everybody else must render from audio and poses.
    """

    audio: np.ndarray
    fps: float
    num_frames: int
    sample_rate: int = SAMPLE_RATE
    poses: np.ndarray | None = None
    """Optional per-frame head pose [T, 4, 4] of the test split."""
    reference: Clip | None = None
    condition: str = "original"
    original_frames: np.ndarray | None = None
    """The driving video's own frames [T, H, W, 3] (self-driven tests), handed only to methods whose
    capabilities list the input "original_frames" (SyncTalk's portrait compositing); their scores are
    recorded under that compositing, a different variant from a method's own full-frame render."""


@dataclass
class Checkpoint:
    """A trained model: a directory of files plus metadata (loaded by the method that wrote it)."""

    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
