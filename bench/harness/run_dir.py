"""Run directories: config.json, provenance.json, metrics.json, per-frame values, renders, pictures and report.md."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from talkbench.core.metric import MetricResult
from talkbench.core.types import Checkpoint, Clip, Video
from talkbench.harness.stages import STORED_VALUES, result_json
from talkbench.infra.atomic import atomic_file, atomic_write_text
from talkbench.infra.cache_entry import write_manifest

if TYPE_CHECKING:
    from talkbench.harness.jobs import JobSpec


def write_job_files(run_dir: Path, spec: "JobSpec", config: dict[str, Any], prov: dict[str, Any]) -> None:
    """config.json (the job and the resolved method config) and provenance.json."""
    job = {**spec.__dict__, "out": str(spec.out) if spec.out else None}
    atomic_write_text(run_dir / "config.json", json.dumps({"job": job, "method_config": config}, indent=2, default=str))
    atomic_write_text(run_dir / "provenance.json", json.dumps(prov, indent=2, default=str))


def seal_stored_values(run_dir: Path, names: tuple[str, ...] = STORED_VALUES) -> None:
    """Write the run directory's MANIFEST.json over the files whose values a rerun reuses (checked before reuse)."""
    write_manifest(run_dir, [n for n in names if (run_dir / n).exists()])


def training_curves(run_dir: Path, spec: JobSpec, checkpoint: Checkpoint | None) -> list[str]:
    """Copy the method's training curves (Checkpoint.meta["curves"], a CSV in its checkpoint) and draw them."""
    from talkbench.harness.figures import plot_curves

    name = (checkpoint.meta or {}).get("curves") if checkpoint is not None else None
    if not name:
        return []
    source = checkpoint.path / str(name)
    if not source.is_file():
        return ["", f"Training curves: {source} is missing from the checkpoint."]
    shutil.copyfile(source, run_dir / "curves.csv")
    plot_curves(run_dir / "curves.csv", run_dir / "curves.png", title=spec.run_id)
    return ["", "Training loss and PSNR of the training batches (`curves.csv`):", "", "![training curves](curves.png)"]


def write_video_run(run_dir: Path, spec: JobSpec, config: dict[str, Any], prov: dict[str, Any], renders: dict[str, Video],
                   reference: Video, results: dict[str, dict[str, MetricResult]], test: Clip,
                   checkpoint: Checkpoint | None = None) -> None:
    """config.json, provenance.json, metrics.json, per_frame.csv, the renders (mp4), contact sheet and report.md."""
    import pandas as pd

    from talkbench.harness.figures import contact_sheet
    from talkbench.io.video import write_video

    def as_json(res: dict[str, MetricResult]) -> dict[str, Any]:
        return {n: result_json(r) for n, r in res.items()}

    several = list(results) != ["original"]
    write_job_files(run_dir, spec, config, prov)
    stored: dict[str, Any] = {"run_id": spec.run_id, "metrics": as_json(next(iter(results.values())))}
    if several:
        stored["conditions"] = {c: as_json(r) for c, r in results.items()}
    atomic_write_text(run_dir / "metrics.json", json.dumps(stored, indent=2, default=str))
    per_frame = {"frame": np.arange(test.num_frames) + int(test.meta.get("frame_offset", 0))}
    for condition, res in results.items():
        prefix = f"{condition}:" if several else ""
        per_frame.update({prefix + n: r.per_item for n, r in res.items()
                          if r.per_item is not None and len(r.per_item) == test.num_frames})
    with atomic_file(run_dir / "per_frame.csv") as tmp:
        pd.DataFrame(per_frame).to_csv(tmp, index=False)
    seal_stored_values(run_dir)
    lines = [f"# {spec.run_id}", ""]
    for condition, pred in renders.items():
        suffix = f"-{condition}" if several else ""
        write_video(run_dir / f"render{suffix}.mp4", pred.frames, pred.fps, pred.audio if pred.audio is not None else test.audio)
        contact_sheet(pred.frames, reference.frames, run_dir / f"frames{suffix}.png",
                      first_frame=int(test.meta.get("frame_offset", 0)))
        if several:
            lines += [f"## Driving audio: {condition}", ""]
        lines += ["| metric | value |", "| --- | --- |"]
        for name, res in results[condition].items():
            shown = "∞" if res.value is not None and math.isinf(res.value) else (
                f"{res.value:.4f}" if res.available else f"unavailable: {res.unavailable_reason}")
            lines.append(f"| {name} | {shown} |")
        lines += ["", "Rows: reference, prediction, mean |error| (heat map, colour bar) of evenly spaced test frames.", "",
                  f"![frames](frames{suffix}.png)", ""]
    lines += [f"Stage wall times (s): {json.dumps({k: round(v, 3) for k, v in prov['timings_s'].items()})}"]
    lines += training_curves(run_dir, spec, checkpoint)
    atomic_write_text(run_dir / "report.md", "\n".join(lines) + "\n")
