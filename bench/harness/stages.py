"""Cached stages of a job: train, render and score, each under a content key in `$BENCH_HOME/cache/<stage>/<key>`."""

from __future__ import annotations

import contextlib
import json
import math
import random
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from talkbench.core.errors import BenchError
from talkbench.core.method import Method
from talkbench.core.metric import COMPOSITING_OWN, MetricContext, MetricResult
from talkbench.core.types import Checkpoint, Clip, Drive, Video
from talkbench.infra.atomic import atomic_directory
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
    final = stage_dir("train", key)
    done = final / "DONE.json"
    if spec.overwrite == "always":
        shutil.rmtree(final, ignore_errors=True)
    if done.exists():
        meta = json.loads(done.read_text())
        return Checkpoint(path=final, meta=meta.get("meta", {})), float(meta.get("wall_time_s", 0.0)), True
    with atomic_directory(final) as tmp:
        seed_everything(spec.seed)
        t0 = time.perf_counter()
        checkpoint = method.train(clip.train(), tmp, spec.seed)
        wall = time.perf_counter() - t0
        (tmp / "DONE.json").write_text(json.dumps({"wall_time_s": wall, "meta": checkpoint.meta}, default=str))
    return Checkpoint(path=final, meta=checkpoint.meta), wall, False


def render_stage(method: Method, checkpoint: Checkpoint, drive: Drive, spec: JobSpec, key: str) -> tuple[Video, float, bool]:
    final = stage_dir("render", key)
    if spec.overwrite == "always":
        shutil.rmtree(final, ignore_errors=True)
    if (final / "DONE.json").exists():
        frames = np.load(final / "frames.npy", allow_pickle=False)
        wall = float(json.loads((final / "DONE.json").read_text()).get("wall_time_s", 0.0))
        return Video(frames=frames, fps=drive.fps, audio=drive.audio, source=str(final)), wall, True
    seed_everything(spec.seed)
    t0 = time.perf_counter()
    video = method.render(checkpoint, drive)
    wall = time.perf_counter() - t0
    with atomic_directory(final) as tmp:
        np.save(tmp / "frames.npy", video.frames)
        (tmp / "DONE.json").write_text(json.dumps({"wall_time_s": wall}))
    video.source = f"{spec.method} render ({final})"
    return video, wall, False


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
    return results, time.perf_counter() - t0


def load_metrics(run_dir: Path, condition: str = "original") -> dict[str, MetricResult]:
    """A run directory's stored results of one driving condition (metrics.json + per_frame.csv)."""
    path = run_dir / "metrics.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    per_frame = read_per_frame(run_dir / "per_frame.csv")
    stored = data.get("conditions", {}).get(condition) if "conditions" in data else (
        data.get("metrics", {}) if condition == "original" else {})
    prefix = f"{condition}:" if "conditions" in data else ""
    return {
        name: MetricResult(name=name, value=from_json(m["value"]), per_item=per_frame.get(prefix + name),
                           unavailable_reason=m.get("unavailable_reason"), details=m.get("details", {}))
        for name, m in (stored or {}).items()
    }


def read_per_frame(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    import pandas as pd

    frame = pd.read_csv(path)
    return {c: frame[c].to_numpy(dtype=np.float64) for c in frame.columns if c != "frame"}


def to_json(value: float | None) -> float | str | None:
    if value is None:
        return None
    return "inf" if math.isinf(value) else value


def from_json(value: Any) -> float | None:
    if value is None:
        return None
    return math.inf if value == "inf" else float(value)
