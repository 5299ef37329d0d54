"""`bench score`: score renders made outside talkbench with the registered metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError, InputError
from talkbench.io.audio import AUDIO_SUFFIXES as AUDIO_FILE_SUFFIXES
from talkbench.io.video import read_video
from talkbench.core.registries import METRICS
from talkbench.harness.tasks import TASKS
from talkbench.core.metric import AudioMetric, MetricContext, MetricResult, VideoMetric
from talkbench.core.types import Video

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}
AUDIO_SUFFIXES = set(AUDIO_FILE_SUFFIXES)
MIN_SPEECH_SECONDS = 0.25
"""Shortest speech file the speech metrics score: PESQ (and the composites built on it) refuses anything shorter."""
FPS_TOLERANCE = 1e-3
"""Frame rates closer than this are the same rate (containers round 25 fps to 25.000 or 24.999...)."""


def score_videos(pred: Video, ref: Video, metric_names: list[str], device: str = "cpu",
                 options: dict[str, Any] | None = None) -> tuple[dict[str, MetricResult], list[str]]:
    """Score two decoded videos; different frame counts are truncated to the shorter, with a note."""
    notes: list[str] = []
    if pred.frames.shape[1:] != ref.frames.shape[1:]:
        raise InputError(f"{pred.source} is {pred.frames.shape[2]}x{pred.frames.shape[1]} but {ref.source} is "
                         f"{ref.frames.shape[2]}x{ref.frames.shape[1]}: resize one to the other's resolution first")
    if abs(pred.fps - ref.fps) > FPS_TOLERANCE:
        # Frames are compared by index: at different rates frame i shows different moments of the clip.
        raise InputError(f"{pred.source} is {pred.fps:g} fps but {ref.source} is {ref.fps:g} fps: frames are compared "
                         f"one to one, so convert one to the other's rate first (e.g. ffmpeg -i IN -r {ref.fps:g} OUT)")
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
                options: dict[str, Any] | None = None, audio: str | None = None,
                channel: str = "mean") -> tuple[dict[str, MetricResult], list[str]]:
    """Decode and score two files; the metric set defaults to the reconstruct task's (the enhance task's for speech).

    Sync metrics read the prediction's own audio track, or `audio` (a separate driving-audio
    file) when given. `channel` chooses what of two speech files is scored (`score_audio_files`).
    """
    kinds = {path: _kind(path) for path in (pred_path, ref_path)}
    if set(kinds.values()) == {"audio", "video"}:
        audio_file = next(p for p, k in kinds.items() if k == "audio")
        video_file = next(p for p, k in kinds.items() if k == "video")
        raise InputError(f"{audio_file} is audio but {video_file} is a video: score two videos, or two speech files")
    if kinds[pred_path] == "audio":
        return score_audio_files(pred_path, ref_path, metric_names, options, channel)
    if channel != "mean":
        raise InputError(f"--channel {channel}: chooses the channels of speech files; {pred_path} is a video")
    names = metric_names or list(TASKS.get("reconstruct").metrics)
    for name in names:  # unknown names fail here, with "did you mean"
        if not issubclass(METRICS.get(name), VideoMetric):
            raise BenchError(f"metric {name!r} scores speech; {pred_path} is a video")
    needs_audio = any(METRICS.get(name).needs_audio for name in names)
    pred, pnotes = read_video(pred_path, with_audio=needs_audio and audio is None)
    ref, rnotes = read_video(ref_path, with_audio=False)
    if needs_audio and audio is not None:
        samples, anotes = _driving_audio(audio, pred)
        pnotes += anotes
        pred = Video(pred.frames, pred.fps, samples, pred.sample_rate, pred.source)
    results, notes = score_videos(pred, ref, names, device, options)
    return results, pnotes + rnotes + notes


def _kind(path: str) -> str:
    """"audio" or "video" by the file's suffix (a file without one is read as a video); InputError for other types."""
    suffix = Path(path).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    if suffix and suffix not in VIDEO_SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix!r} (expected a video: {', '.join(sorted(VIDEO_SUFFIXES))}; "
                         f"or speech: {', '.join(sorted(AUDIO_SUFFIXES))})")
    return "video"


def _driving_audio(path: str, video: Video) -> tuple[Any, list[str]]:
    """The `--audio` file for `video`'s sync metrics: 16 kHz mono, refused when shorter than the video (by more than
    a frame), cut to the video's length when longer; with notes."""
    from talkbench.core.types import SAMPLE_RATE
    from talkbench.io.audio import read_audio

    samples, notes = read_audio(path)
    audio_s, video_s = len(samples) / SAMPLE_RATE, video.num_frames / video.fps
    if audio_s + 1.0 / video.fps < video_s:
        raise InputError(f"{path}: audio is {audio_s:.2f} s, shorter than {video.source}'s {video_s:.2f} s: give the "
                         "whole driving audio")
    keep = int(round(video_s * SAMPLE_RATE))
    if len(samples) > keep + SAMPLE_RATE / video.fps:
        notes.append(f"{path}: audio is {audio_s:.2f} s, the video's {video_s:.2f} s: the first {video_s:.2f} s are used")
        samples = samples[:keep]
    return samples, notes


def score_audio_files(pred_path: str, ref_path: str, metric_names: list[str] | None, options: dict[str, Any] | None = None,
                      channel: str = "mean") -> tuple[dict[str, MetricResult], list[str]]:
    """Score an enhanced (or degraded) speech file against its clean reference with the speech metrics.

    `channel` (`talkbench.core.channels.CHANNELS`): the mean of each file's channels (default), its left or right channel,
    or each channel on its own, paired with the reference's channel of the same name (or with a mono reference):
    the results are then keyed "metric[left]", "metric[right]", ... with the channel in each result's details.
    """
    from talkbench.io.audio import read_audio_channels
    from talkbench.core.types import Audio, SAMPLE_RATE

    names = metric_names or list(TASKS.get("enhance").metrics)
    for name in names:
        if not issubclass(METRICS.get(name), AudioMetric):
            raise BenchError(f"metric {name!r} scores video; {pred_path} is audio")
    preds, labels, pnotes = read_audio_channels(pred_path, channel)
    refs, _, rnotes = read_audio_channels(ref_path, channel)
    if len(refs) == 1 and len(preds) > 1:  # one clean reference for every channel of the prediction
        refs = refs * len(preds)
    if len(preds) != len(refs):
        raise InputError(f"{pred_path} has {len(preds)} channels but {ref_path} has {len(refs)}: --channel each pairs "
                         "channels one to one (or every channel with a mono reference)")
    for path, samples in ((pred_path, preds[0]), (ref_path, refs[0])):
        if len(samples) < MIN_SPEECH_SECONDS * SAMPLE_RATE:
            raise InputError(f"{path}: {len(samples)} samples ({len(samples) / SAMPLE_RATE:.3g} s) at {SAMPLE_RATE} Hz; the "
                             f"speech metrics need at least {MIN_SPEECH_SECONDS:g} s (PESQ's shortest input)")
    notes = pnotes + rnotes
    if len(preds[0]) != len(refs[0]):
        notes.append(f"lengths differ ({pred_path}: {len(preds[0])}, {ref_path}: {len(refs[0])} samples); scored the first "
                     f"{min(len(preds[0]), len(refs[0]))}")
    ctx = MetricContext(options=dict(options or {}))
    results = {}
    for pred, ref, label in zip(preds, refs, labels):
        for name in names:
            key = f"{name}[{label}]" if channel == "each" else name
            try:
                results[key] = METRICS.get(name)().compute(Audio(pred, source=pred_path), Audio(ref, source=ref_path), ctx)
            except InputError:
                raise
            except BenchError as exc:
                results[key] = MetricResult.unavailable(name, str(exc))
            results[key].details["channel"] = label
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
