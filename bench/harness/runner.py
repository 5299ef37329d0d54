"""Runs jobs: data -> train -> render -> score -> store, each stage cached by a content key."""

from __future__ import annotations

import contextlib
import json
import math
import random
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from talkbench.infra import provenance
from talkbench.infra.atomic import atomic_directory
from talkbench.datasets.cards import get_card, load_dataset
from talkbench.core.errors import BenchError
from talkbench.infra.hashing import code_version, stable_hash
from talkbench.infra.paths import cache_dir, runs_dir
from talkbench.core.registries import METHODS, METRICS
from talkbench.harness.store import ResultRow, Store
from talkbench.harness.tasks import TASKS
from talkbench.infra.devices import resolve_device
from talkbench.core.types import COMPOSITING_OWN, COMPOSITING_PORTRAIT, Checkpoint, Clip, Drive, Method, MetricContext, MetricResult, Video

OVERWRITE_MODES = ("never", "only-missing", "always")
"""never: a complete run is left as it is; only-missing: compute what is missing or was unavailable
(e.g. after installing weights) and keep the rest; always: recompute every stage and metric."""


@dataclass
class JobSpec:
    """One method on one dataset under one profile and seed."""

    method: str
    dataset: str
    profile: str = "smoke"
    seed: int = 0
    task: str = "reconstruct"
    overrides: dict[str, str] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None
    overwrite: str = "only-missing"
    out: Path | None = None
    device: str = "auto"
    metric_options: dict[str, Any] = field(default_factory=dict)
    """Protocol options of the metrics (`talkbench.core.metric_options`), e.g. the LMD landmark backend."""

    @property
    def variant(self) -> str:
        """The `--set` overrides as a label ("" for the default config)."""
        return ",".join(f"{k}={v}" for k, v in sorted(self.overrides.items()))

    @property
    def run_id(self) -> str:
        """Stable id: rerunning the same job finds the same run directory."""
        suffix = f"-{stable_hash(self.overrides, 8)}" if self.overrides else ""
        return f"{self.task}-{self.dataset}-{self.method}{suffix}-{self.profile}-s{self.seed}"


@dataclass
class JobOutcome:
    """What happened to a job."""

    run_id: str
    status: str  # complete | failed | skipped
    message: str = ""
    run_dir: Path | None = None
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    with contextlib.suppress(ImportError):  # torch is optional for non-neural methods
        import torch

        torch.manual_seed(seed)


def run_jobs(specs: list[JobSpec], store: Store | None = None) -> list[JobOutcome]:
    """Run every job; a failing job is recorded and reported, the others go on."""
    store = store or Store()
    outcomes = []
    for spec in specs:
        outcome = run_job(spec, store)
        outcomes.append(outcome)
        mark = {"complete": "done", "failed": "FAILED", "skipped": "skipped"}.get(outcome.status, outcome.status)
        tqdm.write(f"[{mark}] {outcome.run_id}" + (f": {outcome.message}" if outcome.message else ""))
    return outcomes


def run_job(spec: JobSpec, store: Store) -> JobOutcome:
    """Run one job, recording failure (one line, details in the run's error.log) instead of raising."""
    run_dir = (spec.out or runs_dir()) / spec.run_id
    try:
        if spec.overwrite not in OVERWRITE_MODES:
            raise BenchError(f"--overwrite must be one of {', '.join(OVERWRITE_MODES)}, not {spec.overwrite!r}")
        return _run_job(spec, store, run_dir)
    except Exception as exc:  # recorded per job so that other jobs' results are never lost
        message = str(exc) if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "error.log").write_text(traceback.format_exc())
        if store.get_run(spec.run_id):
            store.finish_run(spec.run_id, "failed", message)
        return JobOutcome(spec.run_id, "failed", message, run_dir)


def _run_job(spec: JobSpec, store: Store, run_dir: Path) -> JobOutcome:
    method_cls: type[Method] = METHODS.get(spec.method)
    task = TASKS.get(spec.task)
    if not method_cls.serves(spec.task):
        raise BenchError(f"method {spec.method!r} belongs to task {method_cls.task!r}, not {spec.task!r}")
    metric_names = spec.metrics or task.metrics
    metric_classes = {name: METRICS.get(name) for name in metric_names}
    card = get_card(spec.dataset)
    if spec.task not in card.tasks:
        raise BenchError(f"dataset {spec.dataset!r} serves {card.tasks}, not task {spec.task!r}")
    device = resolve_device(spec.device)
    if method_cls.requirements.gpu and device != "cuda":
        return JobOutcome(spec.run_id, "skipped", f"{spec.method} needs a CUDA GPU and none is available")

    existing = store.get_run(spec.run_id)
    if spec.overwrite == "never" and existing and existing["status"] == "complete":
        return JobOutcome(spec.run_id, "skipped", f"complete results exist in {existing['run_dir']} (--overwrite never)", run_dir)

    config = method_cls.config_for(spec.profile, spec.overrides)
    job = JobContext(spec=spec, store=store, run_dir=run_dir, method_cls=method_cls, method=method_cls(config),
                     config=config.to_dict(), config_hash=stable_hash({"method": spec.method, "config": config.to_dict()}, 12),
                     metric_classes=metric_classes, device=device, code=code_version(method_cls))
    body = _reconstruct if spec.task != "enhance" else _enhance_body()
    output = body(job)

    prov = {**provenance.collect(), "seeds": {"method": spec.seed, "dataset": card.data.get("generator", {}).get("seed")},
            "timings_s": job.timings, "dataset_sha": job.dataset_sha, "device": device, **output.provenance}
    output.write(prov)
    rows = [
        ResultRow(run_id=spec.run_id, task=spec.task, method=spec.method, variant=spec.variant, dataset=spec.dataset,
                  profile=spec.profile, seed=spec.seed, condition=condition, metric=name, value=res.value,
                  count=int(res.details.get("items", len(res.per_item) if res.per_item is not None else 0)),
                  unavailable_reason=res.unavailable_reason, higher_is_better=metric_classes[name].higher_is_better,
                  uses_ground_truth=method_cls.requirements.uses_ground_truth, details=res.details,
                  config_hash=job.config_hash, dataset_sha=job.dataset_sha, wall_time_s=job.timings.get("train"))
        for condition, results in output.results.items() for name, res in results.items()
    ]
    store.put_results(rows, prov)
    store.finish_run(spec.run_id, "complete")
    headline = output.results[next(iter(output.results))]
    unavailable = [n for n, r in headline.items() if not r.available]
    message = f"unavailable: {', '.join(unavailable)} (reasons in the leaderboard notes)" if unavailable else ""
    return JobOutcome(spec.run_id, "complete", message, run_dir, headline, job.timings)


@dataclass
class JobContext:
    """What a task body needs about the job being run (and where it records timings)."""

    spec: JobSpec
    store: Store
    run_dir: Path
    method_cls: type[Method]
    method: Method
    config: dict[str, Any]
    config_hash: str
    metric_classes: dict[str, Any]
    device: str
    code: str
    timings: dict[str, float] = field(default_factory=dict)
    dataset_sha: str = ""

    def load(self, loader: Any) -> Any:
        """Load the job's dataset with `loader(name, profile)` (timed), record its content hash, start the run."""
        t0 = time.perf_counter()
        data = loader(self.spec.dataset, self.spec.profile)
        self.timings["data"] = time.perf_counter() - t0
        self.dataset_sha = str(data.meta.get("content_sha256", ""))
        self.begin()
        return data

    def begin(self) -> None:
        """Record the run as started (after the data loaded, so its content hash is known)."""
        spec = self.spec
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.store.begin_run(spec.run_id, task=spec.task, method=spec.method, variant=spec.variant, dataset=spec.dataset,
                             profile=spec.profile, seed=spec.seed, run_dir=str(self.run_dir), config=json.dumps(self.config),
                             config_hash=self.config_hash, dataset_sha=self.dataset_sha,
                             uses_ground_truth=int(self.method_cls.requirements.uses_ground_truth))
        if spec.overwrite == "always":
            for stale in ("metrics.json", "per_frame.csv", "per_utterance.csv"):
                (self.run_dir / stale).unlink(missing_ok=True)


@dataclass
class TaskOutput:
    """A task body's results per condition, extra provenance, and how to write its run directory."""

    results: dict[str, dict[str, MetricResult]]
    provenance: dict[str, Any]
    write: Any
    """Callable(provenance) writing the run directory."""


def _enhance_body() -> Any:
    from talkbench.harness.tasks.enhance import run_enhance

    return run_enhance


def _reconstruct(job: JobContext) -> TaskOutput:
    """Train on the clip's training split, render the test split from its audio (and, for `lipsync`, from
    its clean and its noisy speech), score each rendering against the ground-truth test frames."""
    spec = job.spec
    clip = job.load(load_dataset)
    train_key = stable_hash({"method": spec.method, "config": job.config, "data": job.dataset_sha or clip.meta.get("cache_key"),
                             "n_train": clip.n_train, "seed": spec.seed, "code": job.code,
                             "environment": job.method.environment_key()})
    checkpoint, job.timings["train"], train_cached = _train_stage(job.method, clip, spec, train_key)

    test = clip.test()
    reference = Video(frames=test.annotations.get("clean_frames", test.frames), fps=test.fps, audio=test.audio,
                      source=f"{spec.dataset} test split")
    if spec.task == "lipsync":
        from talkbench.datasets.driving_audio import condition_audio

        card_data = get_card(spec.dataset).data
        drives = {c: condition_audio(test, c, card_data) for c in TASKS.get("lipsync").conditions}
    else:
        drives = {"original": (test.audio, {"audio": "the test split's own audio"})}
    results: dict[str, dict[str, MetricResult]] = {}
    render_keys: dict[str, str] = {}
    renders: dict[str, Video] = {}
    cached: dict[str, bool] = {"train": train_cached}
    job.timings["render"] = job.timings["metrics"] = 0.0
    portrait = job.method.uses_original_frames()
    for condition, (audio, how) in drives.items():
        drive = Drive(audio=np.asarray(audio, np.float32), fps=test.fps, num_frames=test.num_frames,
                      poses=test.annotations.get(job.method.pose_annotation(test.annotations)), condition=condition,
                      reference=test if job.method_cls.requirements.uses_ground_truth else None,
                      original_frames=test.frames if portrait else None)
        audio_key = "original" if spec.task != "lipsync" else stable_hash({"condition": condition, "audio": np.asarray(audio).tobytes()}, 16)
        key = stable_hash({"train": train_key, "condition": audio_key, "frames": test.num_frames, "code": job.code})
        pred, seconds, was_cached = _render_stage(job.method, checkpoint, drive, spec, key)
        if pred.frames.shape != reference.frames.shape:
            raise BenchError(f"{spec.method} rendered {pred.frames.shape}, expected {reference.frames.shape}")
        pred.audio = drive.audio
        scored, score_s = _score_stage(job.metric_classes, pred, reference, test, spec, job.run_dir, job.device,
                                       condition, key, COMPOSITING_PORTRAIT if portrait else COMPOSITING_OWN)
        for res in scored.values():
            res.details.setdefault("driving_audio", how["audio"])
        results[condition], render_keys[condition], renders[condition] = scored, key, pred
        cached[f"render:{condition}"] = was_cached
        job.timings["render"] += seconds
        job.timings["metrics"] += score_s

    def write(prov: dict[str, Any]) -> None:
        _write_run_dir(job.run_dir, spec, job.config, prov, renders, reference, results, test, checkpoint)

    return TaskOutput(results, {"cached_stages": cached, "train_key": train_key, "render_keys": render_keys,
                                "driving_audio": {c: how for c, (_, how) in drives.items()}}, write)


def _stage_dir(stage: str, key: str) -> Path:
    return cache_dir() / stage / key


def _train_stage(method: Method, clip: Clip, spec: JobSpec, key: str) -> tuple[Checkpoint, float, bool]:
    final = _stage_dir("train", key)
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


def _render_stage(method: Method, checkpoint: Checkpoint, drive: Drive, spec: JobSpec, key: str) -> tuple[Video, float, bool]:
    final = _stage_dir("render", key)
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


def _score_stage(metric_classes: dict[str, Any], pred: Video, reference: Video, test: Clip, spec: JobSpec,
                 run_dir: Path, device: str, condition: str, render_key: str,
                 compositing: str = COMPOSITING_OWN) -> tuple[dict[str, MetricResult], float]:
    previous = _load_metrics(run_dir, condition) if spec.overwrite != "always" else {}
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


def _load_metrics(run_dir: Path, condition: str = "original") -> dict[str, MetricResult]:
    """A run directory's stored results of one driving condition (metrics.json + per_frame.csv)."""
    path = run_dir / "metrics.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    per_frame = _read_per_frame(run_dir / "per_frame.csv")
    stored = data.get("conditions", {}).get(condition) if "conditions" in data else (
        data.get("metrics", {}) if condition == "original" else {})
    prefix = f"{condition}:" if "conditions" in data else ""
    return {
        name: MetricResult(name=name, value=_from_json(m["value"]), per_item=per_frame.get(prefix + name),
                           unavailable_reason=m.get("unavailable_reason"), details=m.get("details", {}))
        for name, m in (stored or {}).items()
    }


def _read_per_frame(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    import pandas as pd

    frame = pd.read_csv(path)
    return {c: frame[c].to_numpy(dtype=np.float64) for c in frame.columns if c != "frame"}


def _to_json(value: float | None) -> float | str | None:
    if value is None:
        return None
    return "inf" if math.isinf(value) else value


def _from_json(value: Any) -> float | None:
    if value is None:
        return None
    return math.inf if value == "inf" else float(value)


def _training_curves(run_dir: Path, spec: JobSpec, checkpoint: Checkpoint | None) -> list[str]:
    """Copy the method's training curves (Checkpoint.meta["curves"], a CSV in its checkpoint) and draw them."""
    from talkbench.harness.figures_curves import plot_curves

    name = (checkpoint.meta or {}).get("curves") if checkpoint is not None else None
    if not name:
        return []
    source = checkpoint.path / str(name)
    if not source.is_file():
        return ["", f"Training curves: {source} is missing from the checkpoint."]
    shutil.copyfile(source, run_dir / "curves.csv")
    plot_curves(run_dir / "curves.csv", run_dir / "curves.png", title=spec.run_id)
    return ["", "Training loss and PSNR of the training batches (`curves.csv`):", "", "![training curves](curves.png)"]


def _write_run_dir(run_dir: Path, spec: JobSpec, config: dict[str, Any], prov: dict[str, Any], renders: dict[str, Video],
                   reference: Video, results: dict[str, dict[str, MetricResult]], test: Clip,
                   checkpoint: Checkpoint | None = None) -> None:
    """config.json, provenance.json, metrics.json, per_frame.csv, the renders (mp4), contact sheet and report.md."""
    import pandas as pd

    from talkbench.harness.figures_contact import contact_sheet
    from talkbench.io.video import write_video

    def as_json(res: dict[str, MetricResult]) -> dict[str, Any]:
        return {n: {"value": _to_json(r.value), "unavailable_reason": r.unavailable_reason, "details": r.details}
                for n, r in res.items()}

    several = list(results) != ["original"]
    (run_dir / "config.json").write_text(json.dumps({"job": {**spec.__dict__, "out": str(spec.out) if spec.out else None},
                                                      "method_config": config}, indent=2, default=str))
    (run_dir / "provenance.json").write_text(json.dumps(prov, indent=2, default=str))
    stored: dict[str, Any] = {"run_id": spec.run_id, "metrics": as_json(next(iter(results.values())))}
    if several:
        stored["conditions"] = {c: as_json(r) for c, r in results.items()}
    (run_dir / "metrics.json").write_text(json.dumps(stored, indent=2, default=str))
    per_frame = {"frame": np.arange(test.num_frames) + int(test.meta.get("frame_offset", 0))}
    for condition, res in results.items():
        prefix = f"{condition}:" if several else ""
        per_frame.update({prefix + n: r.per_item for n, r in res.items()
                          if r.per_item is not None and len(r.per_item) == test.num_frames})
    pd.DataFrame(per_frame).to_csv(run_dir / "per_frame.csv", index=False)
    lines = [f"# {spec.run_id}", ""]
    for condition, pred in renders.items():
        suffix = f"-{condition}" if several else ""
        write_video(run_dir / f"render{suffix}.mp4", pred.frames, pred.fps, pred.audio if pred.audio is not None else test.audio)
        contact_sheet(pred.frames, reference.frames, run_dir / f"frames{suffix}.png")
        if several:
            lines += [f"## Driving audio: {condition}", ""]
        lines += ["| metric | value |", "| --- | --- |"]
        for name, res in results[condition].items():
            shown = "∞" if res.value is not None and math.isinf(res.value) else (
                f"{res.value:.4f}" if res.available else f"unavailable: {res.unavailable_reason}")
            lines.append(f"| {name} | {shown} |")
        lines += ["", "Rows: reference, prediction, |error|×4 of evenly spaced test frames.", "",
                  f"![frames](frames{suffix}.png)", ""]
    lines += [f"Stage wall times (s): {json.dumps({k: round(v, 3) for k, v in prov['timings_s'].items()})}"]
    lines += _training_curves(run_dir, spec, checkpoint)
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")
