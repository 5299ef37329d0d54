"""Core contracts: Clip, Video, Drive, Checkpoint, Method, Metric, MetricResult."""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

SAMPLE_RATE = 16_000
"""Audio sample rate used everywhere in talkbench (Hz)."""


def train_test_split_index(n_frames: int) -> int:
    """Number of training frames under the papers' rule: the first int(N*10/11) frames train."""
    return int(n_frames * 10 / 11)


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

    `reference` (the ground-truth test clip) is only handed to methods that declare
    `uses_ground_truth` (the oracle); everybody else must render from audio and poses.
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
    `uses_original_frames()` is true (SyncTalk's portrait compositing); their scores are recorded as
    compositing `COMPOSITING_PORTRAIT`, a different variant from a method's own full-frame render."""


@dataclass
class Checkpoint:
    """A trained model: a directory of files plus metadata (loaded by the method that wrote it)."""

    path: Path
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Requirements:
    """What a method needs to run, so the runner can refuse or skip it with a reason."""

    gpu: bool = False
    weights: tuple[str, ...] = ()
    uses_ground_truth: bool = False
    """True only for the oracle: it sees the test frames (an upper bound, not a method)."""


@dataclass
class MethodConfig:
    """Base of typed method configs; subclasses document each field in its docstring."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the config (stored with every result)."""
        return dataclasses.asdict(self)

    def updated(self, overrides: dict[str, str]) -> "MethodConfig":
        """A copy with `key=value` overrides, parsed to each field's type."""
        known = {f.name: f for f in dataclasses.fields(self)}
        values = {}
        for key, raw in overrides.items():
            if key not in known:
                import difflib

                close = difflib.get_close_matches(key, list(known), n=2)
                hint = f"; did you mean {' or '.join(close)}?" if close else ""
                from talkbench.core.errors import BenchError

                raise BenchError(f"unknown config field {key!r} for {type(self).__name__}{hint}")
            current = getattr(self, key)
            values[key] = _parse_like(raw, current)
        return dataclasses.replace(self, **values)


def _parse_like(raw: str, current: Any) -> Any:
    if isinstance(current, bool):
        if raw.lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            from talkbench.core.errors import BenchError

            raise BenchError(f"{raw!r} is not a switch value: use on/off (or true/false, 1/0)")
        return raw.lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, (tuple, list)):
        return type(current)(type(current[0])(x) for x in raw.split(",")) if current else tuple(raw.split(","))
    return raw


class Method(ABC):
    """A talking-portrait method behind one train/render interface."""

    name: ClassVar[str]
    task: ClassVar[str] = "reconstruct"
    requirements: ClassVar[Requirements] = Requirements()
    Config: ClassVar[type[MethodConfig]] = MethodConfig
    profiles: ClassVar[dict[str, dict[str, Any]]] = {}
    """Per-profile config overrides ("smoke", "paper")."""

    def __init__(self, config: MethodConfig | None = None) -> None:
        self.config = config if config is not None else self.Config()

    def uses_original_frames(self) -> bool:
        """Whether the method composites its render over the driving video's own frames (see `Drive.original_frames`)."""
        return False

    def pose_annotation(self, annotations: dict[str, Any]) -> str:
        """The annotation holding the head poses this method trains on; the runner drives it with the same one."""
        return "head_pose"

    @classmethod
    def serves(cls, task: str) -> bool:
        """Whether the method runs `task`: its own, or one whose `Task.methods_of` is the method's task."""
        from talkbench.harness.tasks import TASKS

        return task == cls.task or (task in TASKS.names() and TASKS.get(task).methods_of == cls.task)

    @classmethod
    def config_for(cls, profile: str, overrides: dict[str, str] | None = None) -> MethodConfig:
        """The method's config for a profile, with `--set key=value` overrides applied."""
        cfg = cls.Config(**cls.profiles.get(profile, {}))
        return cfg.updated(overrides or {})

    @abstractmethod
    def train(self, train_clip: Clip, workdir: Path, seed: int) -> Checkpoint:
        """Fit the method on the training split; write what render needs into `workdir`."""

    @abstractmethod
    def render(self, checkpoint: Checkpoint, drive: Drive) -> Video:
        """Render `drive.num_frames` frames from the driving audio (and poses)."""

    def environment_key(self) -> dict[str, Any]:
        """What outside the config changes what `train` produces (e.g. optional weights); part of the cache key."""
        return {}


@dataclass
class MetricResult:
    """One metric's value over a video pair, per-item values, or the reason it is unavailable."""

    name: str
    value: float | None
    per_item: np.ndarray | None = None
    unavailable_reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """Protocol facts recorded with the value (backbone, compositing mode, variant, ...)."""

    @property
    def available(self) -> bool:
        """True when the metric produced a value."""
        return self.value is not None and self.unavailable_reason is None

    @classmethod
    def unavailable(cls, name: str, reason: str, **details: Any) -> "MetricResult":
        """A result that says why the metric could not run (never a 0)."""
        return cls(name=name, value=None, unavailable_reason=reason, details=details)


@dataclass
class MetricContext:
    """Extra inputs some metrics need (annotations, audio, device)."""

    device: str = "cpu"
    annotations: dict[str, np.ndarray] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


COMPOSITING_OWN = "full frame (the method's own render)"
"""Compositing of a render scored as the method drew it (the default variant of the image metrics)."""
COMPOSITING_PORTRAIT = "portrait blend over the original frames"
"""Compositing of SyncTalk's Portrait mode: the rendered face blended into the driving video's own frames."""


class Metric(ABC):
    """A metric plugin: thin class over a functional core."""

    name: ClassVar[str]
    higher_is_better: ClassVar[bool]
    modality: ClassVar[str] = "video"
    description: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    """Column header in tables (default: the name in capitals)."""
    precision: ClassVar[int] = 4
    """Decimals shown in tables (the papers print PSNR with 2, LPIPS with 4)."""
    needs_audio: ClassVar[bool] = False
    """True when the metric reads the prediction's audio track (sync metrics)."""
    variant_defaults: ClassVar[dict[str, Any]] = {}
    """Options (`MetricContext.options` keys) that change what the metric measures, with their
    defaults: each result records them, and a stored value is reused only for the same ones."""

    def variant(self, options: dict[str, Any]) -> dict[str, Any]:
        """The values of this metric's variant options under `options` (defaults filled in)."""
        return {k: options.get(k, v) if options.get(k) is not None else v for k, v in self.variant_defaults.items()}

    @abstractmethod
    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """Score `pred` against `ref`."""

    @property
    def arrow(self) -> str:
        """↑ when higher is better, ↓ otherwise (the papers' table headers)."""
        return "↑" if self.higher_is_better else "↓"


def mean_or_inf(values: np.ndarray) -> float:
    """Mean of per-item values; +inf when every item is +inf (identical frames)."""
    if values.size == 0:
        return math.nan
    return float(np.mean(values))
