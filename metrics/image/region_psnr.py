"""PSNR inside an annotated region of the reference (torso), for WildTalker's torso-region comparison.

WildTalker's claim is about the torso: transient hands must not leave ghosts there. The full-frame
PSNR dilutes that region with background and face, so this metric scores only the pixels of the
test split's `torso_mask` annotation (the occluder-free ground-truth torso on the synthetic cards):
per frame −10·log10(MSE over the region's pixels and RGB channels, [0, 1] units), mean over frames;
frames whose region is empty are skipped and counted. Clips without the annotation give no value,
with the reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from talkbench.core.metric import COMPOSITING_OWN, VideoMetric, MetricContext, MetricResult, mean_or_inf

from talkbench.core.types import Video
from talkbench.metrics.image.frames import check_videos
from talkbench.metrics.image.psnr import psnr_from_mse

REGION_ANNOTATION = "torso_mask"


def region_mse(pred: np.ndarray, ref: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per-frame MSE over masked pixels ([0, 1] units; NaN where a frame's mask is empty)."""
    out = np.full(len(pred), np.nan)
    for i, (p, r, m) in enumerate(zip(pred, ref, np.asarray(masks).astype(bool))):
        if m.any():
            d = p[m].astype(np.float64) - r[m].astype(np.float64)
            scale = 255.0 if pred.dtype == np.uint8 else 1.0
            out[i] = float(np.mean(d * d)) / (scale * scale)
    return out


class TorsoPSNR(VideoMetric):
    """PSNR (dB) over the ground-truth torso region of each test frame, mean over frames."""

    name: ClassVar[str] = "psnr_torso"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "PSNR-torso"
    precision: ClassVar[int] = 2
    description: ClassVar[str] = "PSNR (dB) over the torso-mask pixels of the reference, mean over frames"
    variant_defaults: ClassVar[dict[str, Any]] = {"compositing": COMPOSITING_OWN}
    """Scores of renders composited over the original frames are a different variant."""

    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """Mean per-frame region PSNR; unavailable without a torso_mask annotation of the reference frames."""
        annotations = ctx.annotations if ctx is not None else {}
        if REGION_ANNOTATION not in annotations:
            return MetricResult.unavailable(self.name, f"the dataset has no {REGION_ANNOTATION} annotation for its test frames")
        p, r = check_videos(pred, ref)
        masks = np.asarray(annotations[REGION_ANNOTATION])
        if masks.shape != p.shape[:3]:
            return MetricResult.unavailable(self.name, f"{REGION_ANNOTATION} is {masks.shape}, frames are {p.shape[:3]}")
        mse = region_mse(p, r, masks)
        valid = ~np.isnan(mse)
        if not valid.any():
            return MetricResult.unavailable(self.name, f"{REGION_ANNOTATION} is empty in every test frame")
        values = psnr_from_mse(mse[valid])
        details: dict[str, Any] = {"region": REGION_ANNOTATION, "frames": int(valid.sum()),
                                   "frames_without_region": int((~valid).sum()),
                                   "mean_region_fraction": float(masks.astype(bool).mean())}
        return MetricResult(name=self.name, value=mean_or_inf(values), per_item=values, details=details)
