"""AUE, AUE-L and AUE-U: action-unit error of a render against its reference, through OpenFace 2.2.

Protocol (as the papers' evaluation scripts computed it):

- OpenFace 2.2 `FeatureExtraction` AU intensities (`_r` columns, 0-5) for every frame of both
  videos, one memoised pass per video content (`talkbench.metrics.face.openface`).
- Frames are aligned by index; when the two tables differ in length both are truncated to the
  shorter and the result says so (`truncated`, `truncation_note`).
- AUE   = sum over the 17 `_r` AUs of the mean over frames of (pred - ref)^2.
  AUE-L = the same sum over the lower-face AUs (10, 12, 14, 15, 17, 20, 23, 25, 26),
  AUE-U = over the upper-face AUs (01, 02, 04, 05, 06, 07, 09, 45); AUE = AUE-L + AUE-U.
  The per-frame values are per-frame sums over the AU set, so their mean is the metric.
- Frames where OpenFace failed (`success == 0`) are counted on each side. The default keeps
  them (the papers' scripts did); option `aue_failed_frames="drop"` removes every frame where
  either side failed. A side with no face in any compared frame makes the metric unavailable
  (never 0), as does a missing OpenFace binary (the reason says how to install it).
- Variant: intensity `_r` over 17 AUs. Talk3D reported an AUE over the `_c` presence columns of a
  different AU set; the two are not comparable, so every result records `variant`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from talkbench.core.errors import BenchError, InputError
from talkbench.core.metric import VideoMetric, MetricContext, MetricResult
from talkbench.core.types import Video
from talkbench.metrics.face.openface import (
    AU_INTENSITY,
    AUTable,
    OpenFaceMissing,
    binary_sha256,
    find_openface,
    openface_aus,
)

PROTOCOL = ("OpenFace 2.2 FeatureExtraction on lossless PNG frames (-fdir, -aus); sum over AUs of the mean over "
            "frames of the squared AU intensity difference; frames aligned by index, truncated to the shorter")
VARIANT = "intensity _r (17 AUs)"

AU_R: tuple[str, ...] = AU_INTENSITY
"""The 17 AUs with an OpenFace intensity (`_r`) column: AUE's set."""
# AU_LOWER and AU_UPPER partition AU_R (disjoint, together all 17), hence AUE = AUE-L + AUE-U.
AU_LOWER: tuple[str, ...] = ("AU10", "AU12", "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26")
"""Lower-face AUs (AUE-L)."""
AU_UPPER: tuple[str, ...] = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU45")
"""Upper-face AUs (AUE-U)."""

POLICY_OPTION = "aue_failed_frames"
POLICIES = ("keep", "drop")


class AUEUnavailable(BenchError):
    """AUE cannot be computed for this pair (no face found on one side); the message says which side."""


@dataclass(frozen=True)
class AUErrors:
    """AUE and its halves for one video pair, with the per-frame values and what was done to the frames."""

    aue: float
    aue_l: float
    aue_u: float
    per_frame: np.ndarray
    """float64 [N] per-frame sum over AU_R of squared differences (mean = aue)."""
    per_frame_l: np.ndarray
    """float64 [N] the same over AU_LOWER (mean = aue_l)."""
    per_frame_u: np.ndarray
    """float64 [N] the same over AU_UPPER (mean = aue_u)."""
    per_au: dict[str, float]
    """Mean squared difference of each AU in AU_R (they sum to aue)."""
    frames: int
    """Frames scored (after truncation and, with "drop", removal of failed frames)."""
    frames_pred: int
    frames_ref: int
    truncated: bool
    truncation_note: str | None
    failed_pred: int
    """Compared frames where OpenFace found no face in the prediction."""
    failed_ref: int
    dropped: int
    """Frames removed by the "drop" policy (0 with "keep")."""
    policy: str

    def details(self) -> dict[str, Any]:
        """Protocol facts for MetricResult.details (JSON-friendly)."""
        out: dict[str, Any] = {
            "failed_frames_policy": self.policy,
            "frames": self.frames,
            "frames_pred": self.frames_pred,
            "frames_ref": self.frames_ref,
            "failed_frames": {"pred": self.failed_pred, "ref": self.failed_ref},
            "dropped_frames": self.dropped,
            "truncated": self.truncated,
            "per_au": dict(self.per_au),
        }
        if self.truncation_note:
            out["truncation_note"] = self.truncation_note
        return out


def check_policy(policy: str) -> str:
    """`policy` if it is "keep" or "drop"; BenchError naming the option otherwise."""
    if policy not in POLICIES:
        raise BenchError(f"{POLICY_OPTION} must be one of {', '.join(POLICIES)}, got {policy!r}")
    return policy


def _name(table: AUTable, side: str) -> str:
    return f"{side} ({table.source})" if table.source else side


def _align(pred: AUTable, ref: AUTable) -> tuple[AUTable, AUTable, str | None]:
    """Both tables cut to the shorter length, with a note when they were cut."""
    n = min(pred.num_frames, ref.num_frames)
    if pred.num_frames == ref.num_frames:
        return pred, ref, None
    note = (f"frame counts differ ({_name(pred, 'pred')}: {pred.num_frames}, {_name(ref, 'ref')}: {ref.num_frames}); "
            f"scored the first {n} frames of each")
    return pred.head(n), ref.head(n), note


def _require_faces(table: AUTable, side: str) -> None:
    if table.num_frames == 0:
        raise AUEUnavailable(f"OpenFace returned no frames for {_name(table, side)}")
    if not table.success.any():
        raise AUEUnavailable(f"OpenFace found no face in any of the {table.num_frames} compared frames of {_name(table, side)}")


def au_errors(pred: AUTable, ref: AUTable, policy: str = "keep") -> AUErrors:
    """AUE, AUE-L and AUE-U of two AU tables aligned by index; AUEUnavailable when a side has no face."""
    check_policy(policy)
    if pred.aus != ref.aus:
        raise InputError(f"AU tables list different AUs: {_name(pred, 'pred')} vs {_name(ref, 'ref')}")
    p, r, note = _align(pred, ref)
    _require_faces(p, "pred")
    _require_faces(r, "ref")
    failed_pred, failed_ref = p.num_failed, r.num_failed
    dropped = 0
    if policy == "drop":
        both = p.success & r.success
        dropped = int(np.count_nonzero(~both))
        if not both.any():
            raise AUEUnavailable(f"no frame where OpenFace found a face on both sides "
                                 f"({_name(p, 'pred')} and {_name(r, 'ref')}; {POLICY_OPTION}=drop)")
        p, r = p.rows(both), r.rows(both)
    sq = (p.columns(AU_R) - r.columns(AU_R)) ** 2  # [N, 17] in AU_R order
    lower = [AU_R.index(au) for au in AU_LOWER]
    upper = [AU_R.index(au) for au in AU_UPPER]
    per_au = sq.mean(axis=0)
    return AUErrors(
        aue=float(per_au.sum()),
        aue_l=float(per_au[lower].sum()),
        aue_u=float(per_au[upper].sum()),
        per_frame=sq.sum(axis=1),
        per_frame_l=sq[:, lower].sum(axis=1),
        per_frame_u=sq[:, upper].sum(axis=1),
        per_au={au: float(v) for au, v in zip(AU_R, per_au)},
        frames=len(sq),
        frames_pred=pred.num_frames,
        frames_ref=ref.num_frames,
        truncated=note is not None,
        truncation_note=note,
        failed_pred=failed_pred,
        failed_ref=failed_ref,
        dropped=dropped,
        policy=policy,
    )


class _AUEMetric(VideoMetric):
    """Shared compute of AUE and its halves: one OpenFace pass per video, then `au_errors`."""

    higher_is_better: ClassVar[bool] = False
    precision: ClassVar[int] = 3
    aus: ClassVar[tuple[str, ...]] = AU_R
    value_field: ClassVar[str] = "aue"
    per_frame_field: ClassVar[str] = "per_frame"
    variant_defaults: ClassVar[dict[str, Any]] = {POLICY_OPTION: "keep"}

    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """The metric over OpenFace AU intensities; unavailable when OpenFace is missing or a side has no face."""
        options = ctx.options if ctx is not None else {}
        policy = check_policy(str(self.variant(options)[POLICY_OPTION]))
        details: dict[str, Any] = {"protocol": PROTOCOL, "variant": VARIANT, "aus": list(self.aus),
                                   "failed_frames_policy": policy, POLICY_OPTION: policy}
        try:
            binary = find_openface(options)
        except OpenFaceMissing as exc:
            return MetricResult.unavailable(self.name, str(exc), **details)
        details.update(openface_bin=str(binary), openface_sha256=binary_sha256(binary),
                       openface_version="not reported (FeatureExtraction has no version flag)")
        p = openface_aus(pred.frames, binary, pred.source or "pred")
        r = openface_aus(ref.frames, binary, ref.source or "ref")
        try:
            errors = au_errors(p, r, policy)
        except AUEUnavailable as exc:
            return MetricResult.unavailable(self.name, str(exc), **details,
                                            failed_frames={"pred": p.num_failed, "ref": r.num_failed})
        details.update(errors.details())
        return MetricResult(name=self.name, value=getattr(errors, self.value_field),
                            per_item=getattr(errors, self.per_frame_field), details=details)


class AUE(_AUEMetric):
    """Action-unit error over the 17 OpenFace intensity AUs against the ground truth; lower is better."""

    name: ClassVar[str] = "aue"
    display_name: ClassVar[str] = "AUE"
    description: ClassVar[str] = "OpenFace 2.2 AU intensity (_r, 17 AUs) error: sum over AUs of the per-frame MSE"


class AUEL(_AUEMetric):
    """Action-unit error over the lower-face AUs (10, 12, 14, 15, 17, 20, 23, 25, 26); lower is better."""

    name: ClassVar[str] = "aue_l"
    display_name: ClassVar[str] = "AUE-L"
    description: ClassVar[str] = "AUE over the lower-face OpenFace 2.2 intensity AUs (10,12,14,15,17,20,23,25,26)"
    aus: ClassVar[tuple[str, ...]] = AU_LOWER
    value_field: ClassVar[str] = "aue_l"
    per_frame_field: ClassVar[str] = "per_frame_l"


class AUEU(_AUEMetric):
    """Action-unit error over the upper-face AUs (01, 02, 04, 05, 06, 07, 09, 45); lower is better."""

    name: ClassVar[str] = "aue_u"
    display_name: ClassVar[str] = "AUE-U"
    description: ClassVar[str] = "AUE over the upper-face OpenFace 2.2 intensity AUs (01,02,04,05,06,07,09,45)"
    aus: ClassVar[tuple[str, ...]] = AU_UPPER
    value_field: ClassVar[str] = "aue_u"
    per_frame_field: ClassVar[str] = "per_frame_u"
