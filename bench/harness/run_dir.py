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
from talkbench.harness.stages import to_json

if TYPE_CHECKING:
    from talkbench.harness.jobs import JobSpec


def write_job_files(run_dir: Path, spec: "JobSpec", config: dict[str, Any], prov: dict[str, Any]) -> None:
    """config.json (the job and the resolved method config) and provenance.json."""
    job = {**spec.__dict__, "out": str(spec.out) if spec.out else None}
    (run_dir / "config.json").write_text(json.dumps({"job": job, "method_config": config}, indent=2, default=str))
    (run_dir / "provenance.json").write_text(json.dumps(prov, indent=2, default=str))


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
        return {n: {"value": to_json(r.value), "unavailable_reason": r.unavailable_reason, "details": r.details}
                for n, r in res.items()}

    several = list(results) != ["original"]
    write_job_files(run_dir, spec, config, prov)
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
    lines += training_curves(run_dir, spec, checkpoint)
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")
