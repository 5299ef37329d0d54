"""Cached stages of a job: train, render and score, each under a content key in `$BENCH_HOME/cache/<stage>/<key>`."""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from talkbench.core.errors import BenchError
from talkbench.core.method import Method
from talkbench.core.metric import COMPOSITING_OWN, MetricContext, MetricResult
from talkbench.core.types import Checkpoint, Clip, Drive, Video
from talkbench.infra.cache_entry import DamagedEntry, cached, guarded_read
from talkbench.infra.paths import cache_dir

if TYPE_CHECKING:
    from talkbench.harness.jobs import JobSpec


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    with contextlib.suppress(ImportError):  # torch is optional for non-neural methods
        import torch

        torch.manual_seed(seed)


def stage_dir(stage: str, key: str) -> Path:
    """The cache directory of one stage output."""
    return cache_dir() / stage / key


def train_stage(method: Method, clip: Clip, spec: JobSpec, key: str) -> tuple[Checkpoint, float, bool]:
    """The method's checkpoint for `key`: reused when cached and intact, else trained once (other runs wait and reuse)."""
    final = stage_dir("train", key)

    def build(tmp: Path) -> tuple[Checkpoint, float]:
        seed_everything(spec.seed)
        t0 = time.perf_counter()
        checkpoint = method.train(clip.train(), tmp, spec.seed)
        wall = time.perf_counter() - t0
        (tmp / "DONE.json").write_text(json.dumps({"wall_time_s": wall, "meta": checkpoint.meta}, default=str))
        return Checkpoint(path=final, meta=checkpoint.meta), wall

    def load(path: Path) -> tuple[Checkpoint, float]:
        done = _json_object(path / "DONE.json")
        return Checkpoint(path=path, meta=dict(done.get("meta") or {})), float(done.get("wall_time_s", 0.0))

    (checkpoint, wall), reused = cached(final, build, load, label="train", refresh=spec.overwrite == "always")
    return checkpoint, wall, reused


def render_stage(method: Method, checkpoint: Checkpoint, drive: Drive, spec: JobSpec, key: str) -> tuple[Video, float, bool]:
    """The rendered frames for `key`: reused when cached and intact, else rendered once."""
    final = stage_dir("render", key)

    def build(tmp: Path) -> tuple[Video, float]:
        seed_everything(spec.seed)
        t0 = time.perf_counter()
        video = method.render(checkpoint, drive)
        wall = time.perf_counter() - t0
        np.save(tmp / "frames.npy", video.frames)
        (tmp / "DONE.json").write_text(json.dumps({"wall_time_s": wall, "shape": list(video.frames.shape)}))
        video.source = f"{spec.method} render ({final})"
        return video, wall

    def load(path: Path) -> tuple[Video, float]:
        done = _json_object(path / "DONE.json")
        frames = np.load(path / "frames.npy", allow_pickle=False)
        if "shape" in done and list(frames.shape) != list(done["shape"]):
            raise DamagedEntry(f"{path / 'frames.npy'} holds {list(frames.shape)} frames, DONE.json says {done['shape']}")
        return Video(frames=frames, fps=drive.fps, audio=drive.audio, source=str(path)), float(done.get("wall_time_s", 0.0))

    (video, wall), reused = cached(final, build, load, label="render", refresh=spec.overwrite == "always")
    return video, wall, reused


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON object from `path`; DamagedEntry naming the file when it is anything else."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise DamagedEntry(f"{path} holds {type(data).__name__}, not a JSON object")
    return data


def score_stage(metric_classes: dict[str, Any], pred: Video, reference: Video, test: Clip, spec: JobSpec,
                 run_dir: Path, device: str, condition: str, render_key: str,
                 compositing: str = COMPOSITING_OWN) -> tuple[dict[str, MetricResult], float]:
    previous = load_metrics(run_dir, condition) if spec.overwrite != "always" else {}
    ctx = MetricContext(device=device, annotations=test.annotations,
                        options={"compositing": compositing,
                                 "reference": "occluder-free clean frames" if "clean_frames" in test.annotations else "frames",
                                 **spec.metric_options})
    results: dict[str, MetricResult] = {}
    t0 = time.perf_counter()
    for name in tqdm(metric_classes, desc=f"score {spec.method}", leave=False, disable=None):
        metric = metric_classes[name]()
        variant = metric.variant(ctx.options)
        old = previous.get(name)
        # A stored value is reused only when it scored the same rendering (a retrained model renders anew)
        # under the same variant (e.g. the same LMD backend).
        if (old is not None and old.available and old.details.get("render_key") == render_key
                and all(old.details.get(k) == v for k, v in variant.items())):
            results[name] = old
            continue
        try:
            results[name] = metric.compute(pred, reference, ctx)
        except BenchError as exc:
            results[name] = MetricResult.unavailable(name, str(exc))
        for key, value in ctx.options.items():
            results[name].details.setdefault(key, value)
        results[name].details["render_key"] = render_key
    for name, old in previous.items():  # values scored earlier in this execution stay in its run directory
        if name not in results and old.details.get("render_key") == render_key:
            results[name] = old
    return results, time.perf_counter() - t0


STORED_VALUES = ("metrics.json", "per_frame.csv")
"""The run-directory files whose values a rerun reuses; guarded by the run directory's MANIFEST.json."""


def load_metrics(run_dir: Path, condition: str = "original") -> dict[str, MetricResult]:
    """A run directory's stored results of one driving condition (metrics.json + per_frame.csv); {} with a note when
    they are damaged (they are then recomputed, never read as wrong numbers)."""
    def load() -> dict[str, MetricResult]:
        data = _json_object(run_dir / "metrics.json")
        per_frame = read_per_frame(run_dir / "per_frame.csv")
        stored = data.get("conditions", {}).get(condition) if "conditions" in data else (
            data.get("metrics", {}) if condition == "original" else {})
        prefix = f"{condition}:" if "conditions" in data else ""
        return {
            name: MetricResult(name=name, value=from_json(m["value"]), per_item=per_frame.get(prefix + name),
                               unavailable_reason=m.get("unavailable_reason"), details=dict(m.get("details") or {}))
            for name, m in (stored or {}).items()
        }

    return guarded_read(run_dir, STORED_VALUES, load, what=f"stored metrics of {run_dir}") or {}


def read_per_frame(path: Path) -> dict[str, np.ndarray]:
    """Per-frame values by column of a per_frame.csv ({} when absent)."""
    if not path.exists():
        return {}
    import pandas as pd

    try:
        frame = pd.read_csv(path, float_precision="round_trip")  # reused values stay bit-exact
        return {c: frame[c].to_numpy(dtype=np.float64) for c in frame.columns if c != "frame"}
    except (pd.errors.ParserError, pd.errors.EmptyDataError, TypeError) as exc:
        raise DamagedEntry(f"{path} is not a per-frame table ({type(exc).__name__}: {exc})") from None


def item_count(res: MetricResult) -> int:
    """How many items (frames, utterances) a value summarises."""
    return int(res.details.get("items", len(res.per_item) if res.per_item is not None else 0))


def result_json(res: MetricResult) -> dict[str, Any]:
    """A result as stored in metrics.json: enough to rebuild its index row (`harness.store_repair`)."""
    from talkbench.core.registries import METRICS

    from talkbench.harness.confidence import item_interval

    entry: dict[str, Any] = {"value": to_json(res.value), "unavailable_reason": res.unavailable_reason,
                             "details": res.details, "count": item_count(res), "ci": item_interval(res).to_json()}
    with contextlib.suppress(BenchError):  # a metric outside the registry (a test's) has no known direction
        entry["higher_is_better"] = bool(METRICS.get(res.name).higher_is_better)
    return entry


def to_json(value: float | None) -> float | str | None:
    if value is None:
        return None
    return "inf" if math.isinf(value) else value


def from_json(value: Any) -> float | None:
    if value is None:
        return None
    return math.inf if value == "inf" else float(value)
