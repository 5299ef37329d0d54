"""LSE-C and LSE-D (Prajwal et al. 2020): SyncNet v2 confidence and distance of a render with its audio.

LSE is a no-reference metric. Only the prediction is scored, and it must carry the driving
audio (muxed into the render); the reference video is not used. Both metrics read one shared
evaluation, `talkbench.metrics.sync.evaluation.evaluate_lse`, memoised in-process under the content of the
frames and audio, the options and the weight files' sha256, so LSE-C and LSE-D together cost
one SyncNet pass. The protocol and its deviations are described in `metrics/sync/evaluation.py`.

The result is unavailable (never 0), with the reason, when the render has no audio, when
the SyncNet or S3FD weights are missing or fail their checksum (the reason gives the
`bench weights install ...` command), when the clip is shorter than the minimum face track,
or when no face track passes the protocol's tests (the reason gives the frames with a
detection, the longest track against min_track and its face size against min_face_size).

Options (`MetricContext.options`): `lse_min_track` (int, default 100, run_pipeline.py's
default). Every result records the value used. `ctx.device` selects the device; CUDA is used
when asked for and available.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from talkbench.core.errors import BenchError, InputError, WeightsMissing
from talkbench.infra.memo import ResultMemo, content_key
from talkbench.core.metric import VideoMetric, MetricContext, MetricResult
from talkbench.core.types import Video
from talkbench.infra.devices import resolve_device
from talkbench.metrics.sync.evaluation import PROTOCOL, LSEEvaluation, evaluate_lse, load_models
from talkbench.metrics.sync.tracks import MIN_FACE_SIZE, MIN_TRACK
from talkbench.zoo import cache as zoo_cache

NO_AUDIO = "has no audio track; LSE needs the driving audio muxed in (or `bench score --audio FILE`)"

_MEMO: ResultMemo[LSEEvaluation] = ResultMemo(capacity=8)


def clear_cache() -> None:
    """Forget memoised evaluations and loaded models (tests, or after reinstalling weights)."""
    _MEMO.clear()
    zoo_cache.clear_cache()


def min_track_option(options: dict[str, Any]) -> int:
    """The `lse_min_track` option as a non-negative int (default: run_pipeline.py's 100)."""
    raw = options.get("lse_min_track")
    if raw is None:
        return MIN_TRACK
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BenchError(f"option lse_min_track must be an integer number of frames, got {raw!r}") from None
    if value < 0 or value != float(raw):
        raise BenchError(f"option lse_min_track must be a non-negative integer number of frames, got {raw!r}")
    return value


def shared_evaluation(pred: Video, min_track: int, device: str) -> LSEEvaluation:
    """The memoised LSE evaluation of `pred` (one SyncNet pass for LSE-C and LSE-D); raises WeightsMissing."""
    if pred.audio is None:
        raise InputError(f"{pred.source or 'the render'} {NO_AUDIO}")
    models = load_models(device)
    key = content_key(np.asarray(pred.frames), np.asarray(pred.audio), float(pred.fps), int(pred.sample_rate),
                      ("min_track", min_track, "min_face_size", MIN_FACE_SIZE, "device", models.device),
                      sorted(models.sha256.items()))
    return _MEMO.get_or_compute(key, lambda: evaluate_lse(
        pred.frames, pred.audio, pred.fps, pred.sample_rate, device=models.device, min_track=min_track,
        models=models, source=pred.source))


class _LSE(VideoMetric):
    """Shared compute of LSE-C and LSE-D; subclasses pick the score."""

    precision: ClassVar[int] = 3
    needs_audio: ClassVar[bool] = True
    variant_defaults: ClassVar[dict[str, Any]] = {"lse_min_track": MIN_TRACK}
    score: ClassVar[str] = ""
    aggregate: ClassVar[str] = ("SyncNet's distances averaged over the whole clip per audio offset (the per-item values "
                                "are per-frame confidences)")

    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """Score `pred` alone (LSE is no-reference; `ref` is unused), or unavailable with the reason."""
        options = ctx.options if ctx is not None else {}
        min_track = min_track_option(options)
        device = resolve_device(ctx.device if ctx is not None else "cpu")
        details: dict[str, Any] = {"protocol": PROTOCOL, "lse_min_track": min_track, "min_track": min_track,
                                   "min_face_size": MIN_FACE_SIZE, "device": device}
        name = pred.source or "the render"
        if pred.audio is None:
            return MetricResult.unavailable(self.name, f"{name} {NO_AUDIO}", **details)
        try:
            evaluation = shared_evaluation(pred, min_track, device)
        except WeightsMissing as exc:
            return MetricResult.unavailable(self.name, str(exc), **details)
        except BenchError as exc:  # undecodable input (bad audio, wrong frame layout): say so, never score 0
            return MetricResult.unavailable(self.name, f"{name}: {exc}", **details)
        details.update(evaluation.details(), lse_min_track=min_track)
        if not evaluation.available:
            return MetricResult.unavailable(self.name, f"{name}: {evaluation.reason}", **details)
        value = getattr(evaluation, self.score)
        return MetricResult(name=self.name, value=float(value), per_item=evaluation.framewise_conf, details=details)


class LSEC(_LSE):
    """Lip-sync error confidence: SyncNet's median minus minimum mean distance over offsets (higher is better)."""

    name: ClassVar[str] = "lse_c"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "LSE-C"
    description: ClassVar[str] = ("SyncNet v2 confidence (median - min of mean distances over ±15 offsets), "
                                  "syncnet_python protocol")
    score: ClassVar[str] = "lse_c"


class LSED(_LSE):
    """Lip-sync error distance: SyncNet's minimum mean distance over offsets (lower is better)."""

    name: ClassVar[str] = "lse_d"
    higher_is_better: ClassVar[bool] = False
    display_name: ClassVar[str] = "LSE-D"
    description: ClassVar[str] = "SyncNet v2 distance (min of mean distances over ±15 offsets), syncnet_python protocol"
    score: ClassVar[str] = "lse_d"
