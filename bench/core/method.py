"""What the harness runs: a `Method` (video from audio) or an `Enhancer` (speech from noisy speech), each
declaring its `Capabilities` instead of answering ad-hoc questions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from talkbench.core.config import MethodConfig
from talkbench.core.errors import BenchError
from talkbench.core.types import Checkpoint, Clip, Drive, Video

INPUTS = ("audio", "poses", "original_frames", "reference_image", "ground_truth", "noisy_audio")
"""What a method may receive: the driving audio; the test split's head poses; the driving video's own frames
(compositing into them); one reference image (one-shot methods); the ground-truth test frames (the oracle only,
never ranked); a noisy utterance (enhancers)."""
TRAINING_KINDS = ("per-subject", "one-shot", "pretrained", "none")
"""per-subject: trained on the subject's training split (NeRFs); one-shot: one image of the subject at render;
pretrained: a fixed network, no training on the subject; none: nothing learnt (classical baselines, denoisers)."""
COMPOSITING = {
    "full": "full frame (the method's own render)",
    "portrait": "portrait blend over the original frames",
    "pasted": "face crop pasted back into the original frames",
}
"""How a render is put together; recorded with every image metric, and never ranked across kinds."""


@dataclass(frozen=True)
class Capabilities:
    """What a method needs and produces, declared once; the harness builds the drive and checks the data from it."""

    inputs: frozenset[str] = frozenset({"audio", "poses"})
    """Of `INPUTS`: what the drive hands the method (nothing else reaches it)."""
    annotations: tuple[str, ...] = ()
    """Annotations (`talkbench.core.annotations`) the training clip must carry; `bench data prepare --for METHOD`
    runs the passes that provide the missing ones."""
    poses: tuple[str, ...] = ("head_pose",)
    """The pose annotations the method trains and is driven on, in order of preference (the first one the clip has)."""
    training: str = "per-subject"
    """Of `TRAINING_KINDS`."""
    compositing: str = "full"
    """Of `COMPOSITING`: how the scored frames are made."""
    weights: tuple[str, ...] = ()
    """Weights entries the method cannot run without."""
    optional_weights: tuple[str, ...] = ()
    """Weights entries used when installed (a recorded fallback otherwise): installing one retrains."""
    gpu: bool = False
    """True when the method runs only on a CUDA device."""
    num_gpus: float = 0.0
    """GPUs one job asks a scheduler for (Ray, SLURM) when it may use CUDA; fractions share a device (a CUDA-only
    method that declares none asks for one)."""
    cost: float = 1.0
    """Rough cost of one job relative to a cheap baseline (1): executors that run jobs side by side start the costliest
    first, so the short ones fill the gaps at the end instead of leaving a worker idle beside a long job."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.inputs) - set(INPUTS))
        if unknown:
            raise ValueError(f"unknown method inputs {unknown} (known: {', '.join(INPUTS)})")
        if self.training not in TRAINING_KINDS:
            raise ValueError(f"training must be one of {TRAINING_KINDS}, not {self.training!r}")
        if self.num_gpus < 0:
            raise ValueError(f"num_gpus must be >= 0, not {self.num_gpus}")
        if self.cost <= 0:
            raise ValueError(f"cost must be > 0, not {self.cost}")
        if self.compositing not in COMPOSITING:
            raise ValueError(f"compositing must be one of {tuple(COMPOSITING)}, not {self.compositing!r}")

    @property
    def uses_ground_truth(self) -> bool:
        """True for the oracle: it sees the test frames (an upper bound, never ranked)."""
        return "ground_truth" in self.inputs

    @property
    def compositing_label(self) -> str:
        """The compositing as recorded with image metrics."""
        return COMPOSITING[self.compositing]

    def pose_annotation(self, annotations: dict[str, Any]) -> str:
        """The first of `poses` that the clip carries (the last one when none is there: the error names it)."""
        return next((p for p in self.poses if p in annotations), self.poses[-1])

    def summary(self) -> str:
        """One line for `bench list methods`."""
        parts = [self.training, "GPU" if self.gpu else "CPU ok", "inputs: " + ",".join(sorted(self.inputs))]
        if self.compositing != "full":
            parts.append(f"compositing: {self.compositing}")
        parts += [f"weights:{w}" for w in self.weights] + [f"optional:{w}" for w in self.optional_weights]
        return ", ".join(parts)


class Configurable(ABC):
    """Base of everything `bench run --method` names: a typed Config, per-profile overrides, capabilities."""

    name: ClassVar[str]
    Config: ClassVar[type[MethodConfig]] = MethodConfig
    profiles: ClassVar[dict[str, dict[str, Any]]] = {}
    """Per-profile overrides of the Config's defaults (dotted keys); the defaults are the paper's configuration."""
    CAPABILITIES: ClassVar[Capabilities] = Capabilities()

    def __init__(self, config: MethodConfig | None = None) -> None:
        self.config = config if config is not None else self.Config()

    def capabilities(self) -> Capabilities:
        """What this configured method needs and produces (config switches may change it)."""
        return self.CAPABILITIES

    @classmethod
    def config_for(cls, profile: str, overrides: dict[str, str] | None = None) -> MethodConfig:
        """The method's config for a profile, with `--set key=value` overrides applied."""
        if profile not in cls.profiles and profile != "paper" and cls.profiles:
            raise BenchError(f"{cls.name} has no profile {profile!r} (has paper, {', '.join(sorted(cls.profiles))})")
        return cls.Config().with_values(cls.profiles.get(profile, {})).updated(overrides or {})

    def environment_key(self) -> dict[str, Any]:
        """What outside the config changes what the method produces (e.g. optional weights); part of the cache key."""
        return {}


class Method(Configurable):
    """A talking-portrait method behind one train/render interface."""

    @abstractmethod
    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Fit the method on the training split; write what render needs into `workdir`."""

    @abstractmethod
    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """Render `drive.num_frames` frames from the driving audio (and what else the capabilities asked for)."""


class Enhancer(Configurable):
    """A speech enhancer: noisy mono audio in, enhanced audio of the same length out (nothing trained)."""

    CAPABILITIES: ClassVar[Capabilities] = Capabilities(inputs=frozenset({"noisy_audio"}), poses=("head_pose",), training="none")

    def denoise(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Enhance one utterance; float32 of the same length (an empty input gives an empty output)."""
        audio = np.asarray(audio, dtype=np.float32)
        if audio.size == 0:
            return audio.copy()
        return np.asarray(self.enhance(audio, sample_rate), dtype=np.float32)

    @abstractmethod
    def enhance(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The method proper, on a non-empty float32 utterance; same length out."""
