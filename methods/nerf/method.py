"""`NeRFMethod`: what the NeRF methods (ER-NeRF, RAD-NeRF, SyncTalk, WildTalker) share behind the Method interface."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from talkbench.core.method import Capabilities, Method
from talkbench.core.types import Checkpoint, Clip, Drive, Video
from talkbench.methods.nerf.trainer import CHECKPOINT_FILE, render_drive, train_model


class NeRFMethod(Method):
    """A NeRF talking-portrait method trained by `talkbench.methods.nerf.trainer`; subclasses give the name, Config and profiles."""

    code_modules: ClassVar[tuple[str, ...]] = ("talkbench.methods.nerf", "talkbench.perception.background", "talkbench.audio_features.extractors",
                                               "talkbench.methods.enhance")
    """Shared code the cached train/render stages depend on (hashed into their keys)."""
    field_kind: ClassVar[str] = ""
    """The head field the trainer builds ("er-nerf" tri-plane or "rad-nerf" 3D grid); "" = the method's name."""

    def environment_key(self) -> dict[str, Any]:
        """The lip stage runs only with the AlexNet weights, and the audio features come from the extractor's
        weights: installing (or replacing) either must retrain, not reuse."""
        from talkbench.audio_features import extractors as audio_encoders
        from talkbench.infra import weights

        key: dict[str, Any] = {"alexnet": weights.status("alexnet")[0]}
        extractor = str(getattr(self.config, "audio_features", "log-mel"))
        if extractor != "log-mel":  # log-mel needs no weights; keeping its key as it was keeps its caches valid
            key["audio_features"] = audio_encoders.weights_state(extractor)
        if getattr(self.config, "expression", "eye") == "upper-face":  # blendshapes replace the landmark fallback
            key["face_landmarker"] = weights.status("face_landmarker")[0]
        return key

    def capabilities(self) -> Capabilities:
        """Runs on CPU (smoke profile) and uses CUDA when present; LPIPS lip fine-tuning uses the `alexnet` weights when
        installed; SyncTalk's portrait mode composites into the drive's own frames; the stabilizer's poses when asked."""
        cfg = self.config
        portrait = bool(getattr(cfg, "portrait", False))
        return Capabilities(
            inputs=frozenset({"audio", "poses"} | ({"original_frames"} if portrait else set())),
            annotations=("head_pose", "head_mask", "intrinsics"),
            poses=("head_pose_stabilized", "head_pose") if getattr(cfg, "head_stabilizer", False) else ("head_pose",),
            compositing="portrait" if portrait else "full",
            optional_weights=("alexnet",))

    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Head (+ lips) then torso; writes model.pt and curves.csv into `workdir`."""
        from talkbench.infra.devices import torch_threads

        with torch_threads(int(getattr(self.config, "threads", 0))):
            return train_model(self.field_kind or self.name, self.config, train_clip, workdir, seed)  # type: ignore[arg-type]

    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """Render the drive's frames at the training resolution from its audio and head poses."""
        from talkbench.infra.devices import torch_threads

        with torch_threads(int(getattr(self.config, "threads", 0))):
            return render_drive(checkpoint.path / CHECKPOINT_FILE, type(self.config), drive, self.config.device)  # type: ignore[attr-defined]
