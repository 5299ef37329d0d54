"""`NeRFMethod`: a NeRF talking head behind the Method interface; a method names its Model, Config and profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from talkbench.core.method import Capabilities, Method
from talkbench.core.types import Checkpoint, Clip, Drive, Video
from talkbench.infra.devices import torch_threads
from talkbench.methods.nerf.model import TalkingHeadModel


class NeRFMethod(Method):
    """A NeRF talking-portrait method: `Model` (a `TalkingHeadModel` subclass) trained by the engine's trainer."""

    Model: ClassVar[type[TalkingHeadModel]]

    def capabilities(self) -> Capabilities:
        """Audio and the test split's poses in; per-subject training on head poses, head masks and the camera; CPU
        (smoke) or CUDA (paper); the lip stage uses the AlexNet weights when installed."""
        return Capabilities(inputs=frozenset({"audio", "poses"}), annotations=("head_pose", "head_mask", "intrinsics"),
                            poses=("head_pose",), optional_weights=("alexnet",), num_gpus=1.0,
                            cost=100.0)

    def environment_key(self) -> dict[str, Any]:
        """The optional weights' install state and the audio extractor's weights: installing (or replacing) either
        must retrain, not reuse."""
        from talkbench import audio_features as audio_encoders
        from talkbench.infra import weights

        key: dict[str, Any] = {name: weights.status(name)[0] for name in self.capabilities().optional_weights}
        extractor = str(self.config.audio_features)  # type: ignore[attr-defined]
        if extractor != "log-mel":  # log-mel needs no weights
            key["audio_features"] = audio_encoders.weights_state(extractor)
        return key

    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Head (+ lips) then torso; writes model.pt and curves.csv into `workdir`."""
        from talkbench.methods.nerf.trainer import train_model

        with torch_threads(int(self.config.threads)):  # type: ignore[attr-defined]
            return train_model(self.Model(self.config), train_clip, workdir, seed)  # type: ignore[arg-type]

    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """Render the drive's frames at the training resolution from its audio and head poses."""
        from talkbench.methods.nerf.drive import render_drive
        from talkbench.methods.nerf.trainer import CHECKPOINT_FILE

        with torch_threads(int(self.config.threads)):  # type: ignore[attr-defined]
            return render_drive(checkpoint.path / CHECKPOINT_FILE, self.Model, drive, self.config.device)  # type: ignore[attr-defined]
