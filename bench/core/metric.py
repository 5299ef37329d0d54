"""Metric contracts: a `VideoMetric` scores frames, an `AudioMetric` scores speech; both give a `MetricResult`."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from talkbench.core.method import COMPOSITING
from talkbench.core.types import Audio, Video


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


COMPOSITING_OWN = COMPOSITING["full"]
"""Compositing of a render scored as the method drew it (the default variant of the image metrics)."""


class Metric(ABC):
    """A metric plugin: thin class over a functional core. Subclass `VideoMetric` or `AudioMetric`."""

    name: ClassVar[str]
    higher_is_better: ClassVar[bool]
    modality: ClassVar[str]
    description: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    """Column header in tables (default: the name in capitals)."""
    precision: ClassVar[int] = 4
    """Decimals shown in tables (the papers print PSNR with 2, LPIPS with 4)."""
    aggregate: ClassVar[str] = "mean"
    """How `value` comes from `per_item`: "mean" (the bootstrap CI over items is the CI of the value, stored with it)
    or a short description of another rule (no CI over items is made, and the reason says this rule)."""
    variant_defaults: ClassVar[dict[str, Any]] = {}
    """Options (`MetricContext.options` keys) that change what the metric measures, with their
    defaults: each result records them, and a stored value is reused only for the same ones."""

    def variant(self, options: dict[str, Any]) -> dict[str, Any]:
        """The values of this metric's variant options under `options` (defaults filled in)."""
        return {k: options.get(k, v) if options.get(k) is not None else v for k, v in self.variant_defaults.items()}

    @property
    def arrow(self) -> str:
        """↑ when higher is better, ↓ otherwise (the papers' table headers)."""
        return "↑" if self.higher_is_better else "↓"


class VideoMetric(Metric):
    """A metric of rendered frames against reference frames (and, for sync metrics, the render's audio)."""

    modality: ClassVar[str] = "video"
    needs_audio: ClassVar[bool] = False
    """True when the metric reads the prediction's audio track (sync metrics)."""

    @abstractmethod
    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """Score `pred` against `ref`."""


class AudioMetric(Metric):
    """A metric of one enhanced (or degraded) utterance against its clean speech."""

    modality: ClassVar[str] = "audio"

    @abstractmethod
    def compute(self, pred: Audio, ref: Audio, ctx: MetricContext | None = None) -> MetricResult:
        """Score `pred` against `ref` (clean speech)."""


def mean_or_inf(values: np.ndarray) -> float:
    """Mean of per-item values; +inf when every item is +inf (identical frames)."""
    if values.size == 0:
        return math.nan
    return float(np.mean(values))
