"""`bench score`: score renders made outside talkbench with the registered metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError, InputError
from talkbench.io.video import read_video
from talkbench.core.registries import METRICS
from talkbench.harness.tasks import TASKS
from talkbench.core.metric import AudioMetric, MetricContext, MetricResult, VideoMetric
from talkbench.core.types import Video

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg"}


def score_videos(pred: Video, ref: Video, metric_names: list[str], device: str = "cpu",
                 options: dict[str, Any] | None = None) -> tuple[dict[str, MetricResult], list[str]]:
    """Score two decoded videos; different frame counts are truncated to the shorter, with a note."""
    notes: list[str] = []
    if pred.frames.shape[1:] != ref.frames.shape[1:]:
        raise InputError(f"{pred.source} is {pred.frames.shape[2]}x{pred.frames.shape[1]} but {ref.source} is "
                         f"{ref.frames.shape[2]}x{ref.frames.shape[1]}: resize one to the other's resolution first")
    if pred.num_frames != ref.num_frames:
        count = min(pred.num_frames, ref.num_frames)
        notes.append(f"frame counts differ ({pred.source}: {pred.num_frames}, {ref.source}: {ref.num_frames}); "
                     f"scored the first {count} frames of each")
        pred = Video(pred.frames[:count], pred.fps, pred.audio, pred.sample_rate, pred.source)
        ref = Video(ref.frames[:count], ref.fps, ref.audio, ref.sample_rate, ref.source)
    ctx = MetricContext(device=device, options={"compositing": "as given (external render)", **(options or {})})
    results = {}
    for name in metric_names:
        try:
            results[name] = METRICS.get(name)().compute(pred, ref, ctx)
        except InputError:
            raise
        except BenchError as exc:
            results[name] = MetricResult.unavailable(name, str(exc))
    return results, notes


def score_files(pred_path: str, ref_path: str, metric_names: list[str] | None, device: str = "cpu",
                options: dict[str, Any] | None = None, audio: str | None = None) -> tuple[dict[str, MetricResult], list[str]]:
    """Decode and score two files; the metric set defaults to the reconstruct task's.

    Sync metrics read the prediction's own audio track, or `audio` (a separate driving-audio
    file) when given.
    """
    suffix = Path(pred_path).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return score_audio_files(pred_path, ref_path, metric_names)
    if suffix and suffix not in VIDEO_SUFFIXES:
        raise InputError(f"{pred_path}: unsupported file type {suffix!r} (expected one of {', '.join(sorted(VIDEO_SUFFIXES))})")
    names = metric_names or list(TASKS.get("reconstruct").metrics)
    for name in names:  # unknown names fail here, with "did you mean"
        if not issubclass(METRICS.get(name), VideoMetric):
            raise BenchError(f"metric {name!r} scores speech; {pred_path} is a video")
    needs_audio = any(METRICS.get(name).needs_audio for name in names)
    pred, pnotes = read_video(pred_path, with_audio=needs_audio and audio is None)
    ref, rnotes = read_video(ref_path, with_audio=False)
    if needs_audio and audio is not None:
        from talkbench.io.audio import read_audio

        samples, anotes = read_audio(audio)
        pnotes += anotes
        pred = Video(pred.frames, pred.fps, samples, pred.sample_rate, pred.source)
    results, notes = score_videos(pred, ref, names, device, options)
    return results, pnotes + rnotes + notes


def score_audio_files(pred_path: str, ref_path: str, metric_names: list[str] | None) -> tuple[dict[str, MetricResult], list[str]]:
    """Score an enhanced (or degraded) speech file against its clean reference with the speech metrics."""
    from talkbench.io.audio import read_audio
    from talkbench.core.types import Audio

    names = metric_names or list(TASKS.get("enhance").metrics)
    for name in names:
        if not issubclass(METRICS.get(name), AudioMetric):
            raise BenchError(f"metric {name!r} scores video; {pred_path} is audio")
    pred, pnotes = read_audio(pred_path)
    ref, rnotes = read_audio(ref_path)
    notes = pnotes + rnotes
    if len(pred) != len(ref):
        notes.append(f"lengths differ ({pred_path}: {len(pred)}, {ref_path}: {len(ref)} samples); scored the first {min(len(pred), len(ref))}")
    results = {}
    for name in names:
        try:
            results[name] = METRICS.get(name)().compute(Audio(pred, source=pred_path), Audio(ref, source=ref_path))
        except InputError:
            raise
        except BenchError as exc:
            results[name] = MetricResult.unavailable(name, str(exc))
    return results, notes


INF_TOKEN = "__talkbench_inf__"


def to_json(results: dict[str, MetricResult], notes: list[str], extra: dict[str, Any] | None = None) -> str:
    """One JSON object keyed by metric name (null where unavailable; +∞ written as 1e999, valid JSON)."""
    def enc(v: float | None) -> Any:
        if v is None:
            return None
        if math.isinf(v):
            return INF_TOKEN if v > 0 else "-" + INF_TOKEN
        return v

    obj: dict[str, Any] = {name: enc(r.value) for name, r in results.items()}
    obj["unavailable"] = {n: r.unavailable_reason for n, r in results.items() if not r.available}
    obj["details"] = {n: r.details for n, r in results.items()}
    obj["notes"] = notes
    obj.update(extra or {})
    text = json.dumps(obj, indent=2, default=str)
    return text.replace(f'"-{INF_TOKEN}"', "-1e999").replace(f'"{INF_TOKEN}"', "1e999")
