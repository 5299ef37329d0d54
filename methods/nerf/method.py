"""`NeRFMethod`: what ER-NeRF and RAD-NeRF share behind the Method interface (stages, caching, weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from bench.types import Checkpoint, Clip, Drive, Method, Requirements, Video
from methods.nerf.trainer import CHECKPOINT_FILE, render_drive, train_model


class NeRFMethod(Method):
    """A NeRF talking-portrait method trained by `methods.nerf.trainer`; subclasses give the name, Config and profiles."""

    requirements: ClassVar[Requirements] = Requirements(gpu=False)
    """Runs on CPU (smoke profile); the paper profile is sized for a CUDA GPU and uses it when present.
    LPIPS lip fine-tuning uses the `alexnet` weights when installed and is skipped (and recorded) otherwise."""
    code_modules: ClassVar[tuple[str, ...]] = ("methods.nerf", "bench.data.background")
    """Shared code the cached train/render stages depend on (hashed into their keys)."""

    def environment_key(self) -> dict[str, Any]:
        """The lip stage runs only with the AlexNet weights: installing them must retrain, not reuse."""
        from bench import weights

        return {"alexnet": weights.status("alexnet")[0]}

    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Head (+ lips) then torso; writes model.pt and curves.csv into `workdir`."""
        return train_model(self.name, self.config, train_clip, workdir, seed)  # type: ignore[arg-type]

    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """Render the drive's frames at the training resolution from its audio and head poses."""
        return render_drive(checkpoint.path / CHECKPOINT_FILE, type(self.config), drive, self.config.device)  # type: ignore[attr-defined]
