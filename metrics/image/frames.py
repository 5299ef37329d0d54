"""Helpers shared by the image metrics: frame-stack checks and conversion to float [0, 1]."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from talkbench.core.errors import InputError
from talkbench.core.metric import COMPOSITING_OWN, VideoMetric, MetricContext, MetricResult, mean_or_inf
from talkbench.core.types import Video


def as_stack(frames: np.ndarray, what: str = "frames") -> np.ndarray:
    """`frames` as a [T, H, W, 3] stack (a single [H, W, 3] frame becomes T=1)."""
    arr = np.asarray(frames)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise InputError(f"{what}: expected RGB frames [T,H,W,3], got shape {arr.shape}")
    return arr


def check_pair(pred: np.ndarray, ref: np.ndarray, pred_name: str = "pred", ref_name: str = "ref") -> tuple[np.ndarray, np.ndarray]:
    """Both stacks as [T, H, W, 3]; InputError naming both sources and shapes unless they match."""
    p = as_stack(pred, pred_name)
    r = as_stack(ref, ref_name)
    if p.shape != r.shape:
        problem = "frame counts differ" if p.shape[1:] == r.shape[1:] else "frame sizes differ"
        raise InputError(
            f"{problem}: {pred_name or 'pred'} has shape {tuple(p.shape)}, "
            f"{ref_name or 'ref'} has shape {tuple(r.shape)} (both [T,H,W,3])"
        )
    return p, r


def check_videos(pred: Video, ref: Video) -> tuple[np.ndarray, np.ndarray]:
    """The frame stacks of two videos, checked to match (errors name `pred.source` / `ref.source`)."""
    p, r = check_pair(pred.frames, ref.frames, pred.source or "pred", ref.source or "ref")
    if len(p) == 0:
        raise InputError(f"no frames to compare: {pred.source or 'pred'} and {ref.source or 'ref'} are empty")
    return p, r


def to_float(frames: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Frames as float in [0, 1]: uint8 is divided by 255, floats are taken as already in [0, 1]."""
    arr = np.asarray(frames)
    if arr.dtype == np.uint8:
        return arr.astype(dtype) / dtype(255.0)
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        raise InputError(f"frames: expected uint8 or float in [0,1], got {arr.dtype}")
    return arr.astype(dtype, copy=False)


def chunks(n: int, size: int) -> Iterator[slice]:
    """Slices [0, size), [size, 2*size), ... covering range(n)."""
    size = max(1, int(size))
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def frames_per_chunk(height: int, width: int, budget_bytes: int = 256 << 20, bytes_per_value: int = 8) -> int:
    """How many frames of float intermediates fit in `budget_bytes` (at least 1)."""
    per_frame = max(1, height * width * 3 * bytes_per_value * 2)
    return max(1, budget_bytes // per_frame)


class PerFrameImageMetric(VideoMetric):
    """Base of image metrics that score each frame pair and report the mean over frames."""

    protocol: ClassVar[str] = ""
    variant_defaults: ClassVar[dict[str, Any]] = {"compositing": COMPOSITING_OWN}
    """Scores of renders composited over the original frames are a different variant (never ranked together)."""

    @abstractmethod
    def per_frame(self, pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Per-frame values of two checked frame stacks."""

    def extra_details(self) -> dict[str, Any]:
        """Protocol facts beyond the common ones."""
        return {}

    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """Mean of the per-frame values (+inf when all are +inf); InputError when the videos' shapes differ."""
        p, r = check_videos(pred, ref)
        values = self.per_frame(p, r)
        options = ctx.options if ctx is not None else {}
        details = {"protocol": self.protocol, **self.extra_details(),
                   "compositing": options.get("compositing", "full frame"),
                   "frames": int(len(values)), "resolution": [int(p.shape[1]), int(p.shape[2])]}
        return MetricResult(name=self.name, value=mean_or_inf(values), per_item=values, details=details)
