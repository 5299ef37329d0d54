"""LMD, landmark distance, with the papers' protocol (design doc, "Protocols the papers used").

68-point landmarks of the prediction and the reference, the mouth points 48–67 (or all 68 with
`region="face"`); each set is centred on its own mean — no scale or rotation normalisation —
and the frame's LMD is the mean per-point L2 distance in pixels at native resolution; the
reported value is the mean over frames.

Landmarks come from a backend (`bench/perception/landmarks.py`): `mediapipe` (offline, the default
here) or `fan` (face_alignment's 2D-FAN-4, the papers' choice, needs its weights). The two are
not interchangeable — every result records its backend, and a stored value is only reused for
the same backend, region and missing-face policy.

Frames where a side has no face: `missing_face="previous"` (default) reuses that side's last
landmarks (frames before the first detection take the first one); `"drop"` leaves the frame
out. Either way the counts are recorded; a side with no face in any frame makes LMD
unavailable, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from talkbench.core.errors import BenchError, WeightsMissing
from talkbench.core.metric import VideoMetric, MetricContext, MetricResult
from talkbench.core.types import Video
from talkbench.perception.landmarks import FACE, MOUTH, LandmarkTrack, landmarks
from talkbench.metrics.image.frames import check_videos

REGIONS: dict[str, tuple[int, ...]] = {"mouth": MOUTH, "face": FACE}
POLICIES = ("previous", "drop")
PROTOCOL = "68-pt landmarks, each set centred on its mean, mean per-point L2 (px, native resolution), mean over frames"


def centred_distance(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-frame mean L2 between point sets [T, K, 2] after centring each set on its own mean."""
    p = pred - pred.mean(axis=1, keepdims=True)
    r = ref - ref.mean(axis=1, keepdims=True)
    return np.linalg.norm(p - r, axis=2).mean(axis=1)


def fill_previous(points: np.ndarray) -> np.ndarray:
    """Missing (NaN) frames take the previous frame's points; leading ones take the first found."""
    found = ~np.isnan(points).any(axis=(1, 2))
    if not found.any():
        raise BenchError("no face in any frame")
    index = np.where(found, np.arange(len(points)), -1)
    index = np.maximum.accumulate(index)
    index[index < 0] = int(np.argmax(found))
    return points[index]


@dataclass
class LMDResult:
    """LMD of one prediction/reference pair with the bookkeeping the result records."""

    value: float
    per_frame: np.ndarray
    """[T] per-frame LMD; NaN for frames left out by the `drop` policy."""
    missing_pred: int
    missing_ref: int
    frames_used: int


def lmd_from_landmarks(pred: np.ndarray, ref: np.ndarray, region: str = "mouth", missing_face: str = "previous",
                       names: tuple[str, str] = ("the prediction", "the reference")) -> LMDResult:
    """LMD of two [T, 68, 2] landmark stacks (NaN where no face) under a region and a missing-face policy; `names`
    (the prediction's and the reference's, e.g. their files) are what an error calls them."""
    if region not in REGIONS:
        raise BenchError(f"LMD region {region!r} unknown; use one of {', '.join(REGIONS)}")
    if missing_face not in POLICIES:
        raise BenchError(f"missing-face policy {missing_face!r} unknown; use one of {', '.join(POLICIES)}")
    if pred.shape != ref.shape or pred.shape[1:] != (68, 2):
        raise BenchError(f"landmark stacks must both be [T,68,2], got {pred.shape} and {ref.shape}")
    idx = list(REGIONS[region])
    found_p = ~np.isnan(pred).any(axis=(1, 2))
    found_r = ~np.isnan(ref).any(axis=(1, 2))
    for found, side in ((found_p, names[0]), (found_r, names[1])):
        if not found.any():
            raise BenchError(f"no face found in any frame of {side}")
    per_frame = np.full(len(pred), np.nan)
    if missing_face == "previous":
        per_frame[:] = centred_distance(fill_previous(pred)[:, idx], fill_previous(ref)[:, idx])
    else:
        both = found_p & found_r
        if not both.any():
            raise BenchError("no frame has a face on both sides")
        per_frame[both] = centred_distance(pred[both][:, idx], ref[both][:, idx])
    used = ~np.isnan(per_frame)
    return LMDResult(value=float(per_frame[used].mean()), per_frame=per_frame, missing_pred=int((~found_p).sum()),
                     missing_ref=int((~found_r).sum()), frames_used=int(used.sum()))


def lmd(pred_frames: np.ndarray, ref_frames: np.ndarray, backend: str = "mediapipe", region: str = "mouth",
        missing_face: str = "previous", device: str = "cpu",
        names: tuple[str, str] = ("the prediction", "the reference")) -> tuple[LMDResult, LandmarkTrack, LandmarkTrack]:
    """LMD of two uint8 RGB frame stacks, with the landmark tracks it was computed from."""
    ref_track = landmarks(ref_frames, backend, device)
    pred_track = landmarks(pred_frames, backend, device)
    return lmd_from_landmarks(pred_track.points, ref_track.points, region, missing_face, names), pred_track, ref_track


class LMD(VideoMetric):
    """Mouth landmark distance to the ground truth (pixels, lower is better)."""

    name: ClassVar[str] = "lmd"
    higher_is_better: ClassVar[bool] = False
    display_name: ClassVar[str] = "LMD"
    precision: ClassVar[int] = 3
    description: ClassVar[str] = "landmark distance, mouth points 48-67, each set mean-centred, px (backend recorded)"
    variant_defaults: ClassVar[dict[str, Any]] = {"landmarks": "mediapipe", "region": "mouth", "missing_face": "previous"}

    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """Mean per-frame LMD, or unavailable (weights missing, no face) with the reason."""
        p, r = check_videos(pred, ref)
        variant = self.variant(ctx.options if ctx is not None else {})
        backend, region, missing_face = str(variant["landmarks"]), str(variant["region"]), str(variant["missing_face"])
        device = ctx.device if ctx is not None else "cpu"
        details: dict[str, Any] = {"protocol": PROTOCOL, **variant, "resolution": [int(p.shape[1]), int(p.shape[2])]}
        try:
            result, pred_track, _ = lmd(p, r, backend, region, missing_face, device,
                                        (pred.source or "the prediction", ref.source or "the reference"))
        except WeightsMissing as exc:
            return MetricResult.unavailable(self.name, str(exc), **details)
        except BenchError as exc:
            return MetricResult.unavailable(self.name, f"{exc} ({backend} landmarks)", **details)
        details.update(backend_settings=pred_track.settings, frames=int(len(p)), frames_used=result.frames_used,
                       frames_without_face_pred=result.missing_pred, frames_without_face_ref=result.missing_ref)
        return MetricResult(name=self.name, value=result.value, per_item=result.per_frame, details=details)
