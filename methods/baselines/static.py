"""`static`: the last training frame repeated. The floor any talking-portrait method must beat."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from talkbench.core.errors import InputError
from talkbench.core.config import MethodConfig
from talkbench.core.method import Capabilities, Method
from talkbench.core.types import Checkpoint, Clip, Drive, Video


@dataclass
class StaticConfig(MethodConfig):
    """The static baseline has nothing to configure."""


class Static(Method):
    """Repeats the last training frame for every test frame."""

    name = "static"
    CAPABILITIES = Capabilities(inputs=frozenset({"audio"}))
    Config = StaticConfig

    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Keep the last training frame."""
        np.save(workdir / "frame.npy", train_clip.frames[-1])
        return Checkpoint(path=workdir)

    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """The kept frame, `drive.num_frames` times."""
        path = checkpoint.path / "frame.npy"
        try:
            frame = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: corrupt checkpoint ({exc})") from exc
        return Video(frames=np.repeat(frame[None], drive.num_frames, axis=0), fps=drive.fps, audio=drive.audio)
