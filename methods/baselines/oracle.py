"""`oracle`: returns the ground-truth test frames. An upper bound and a sanity check of every metric."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from talkbench.core.errors import BenchError
from talkbench.core.config import MethodConfig
from talkbench.core.method import Capabilities, Method
from talkbench.core.types import Checkpoint, Clip, Drive, Video


@dataclass
class OracleConfig(MethodConfig):
    """The oracle has nothing to configure."""


class Oracle(Method):
    """Copies the reference test frames (uses ground truth: never ranked against real methods)."""

    name = "oracle"
    CAPABILITIES = Capabilities(inputs=frozenset({"ground_truth"}), training="none")
    Config = OracleConfig

    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Nothing to learn."""
        return Checkpoint(path=workdir, meta={"trained_on_frames": train_clip.num_frames})

    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """The evaluation reference frames of the test split."""
        if drive.reference is None:
            raise BenchError("oracle needs the reference clip in the drive (the runner passes it)")
        frames = drive.reference.annotations.get("clean_frames", drive.reference.frames)
        return Video(frames=frames[: drive.num_frames].copy(), fps=drive.fps, audio=drive.audio)
