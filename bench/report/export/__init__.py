"""Stored results as experiment-tracker runs (`bench export --to mlflow|tensorboard|wandb`).

One tracker run per stored execution (the latest complete one of each run id, filtered like the leaderboard):
params are the job's identity and its resolved method config (`config.<key>`); metrics are the values of the
headline condition under their metric names, other conditions as `<condition>/<metric>`, each with `_stderr`
and, when metrics.json stores one, `_ci_low` / `_ci_high`; series (a metric per step) are the training curves
(`train/<stage>/<column>` by step) and the per-item values (`per_frame/<metric>` by frame, `per_utterance/<metric>`
by utterance); tags carry the run directory. Non-finite values (an oracle's infinite PSNR) are not metrics
(trackers differ in what they keep of them): they go to the tag `nonfinite.<key>`.
"""

from __future__ import annotations

import importlib.util
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.harness.results_json import ITEM_COLUMNS

TARGETS = {"mlflow": ("mlflow", "mlflow"), "tensorboard": ("tensorboard", "tensorboard"), "wandb": ("wandb", "wandb")}
"""--to NAME -> (the module it imports, the talkbench extra that installs it)."""
UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")
ARTIFACTS = ("report.html", "report.md", "metrics.json", "per_frame.csv", "per_utterance.csv", "curves.csv",
             "frames.png", "per_frame.png", "per_utterance.png", "curves.png", "spectrogram.png")
"""Run-directory files a tracker keeps a copy of (with the results_*.json); renders and audio stay in the run directory."""


@dataclass
class ExportRun:
    """One stored execution as a tracker sees it."""

    run_id: str
    execution: str
    run_dir: Path
    params: dict[str, str]
    metrics: dict[str, float]
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: list[Path] = field(default_factory=list)


def require(target: str) -> None:
    """BenchError naming the extra to install when the tracker's package is missing (or the target is unknown)."""
    if target not in TARGETS:
        raise BenchError(f"unknown export target {target!r}; choose one of {', '.join(TARGETS)}")
    module, extra = TARGETS[target]
    if importlib.util.find_spec(module) is None:
        raise BenchError(f"bench export --to {target} needs the {module} package: pip install 'talkbench[{extra}]'")


def key(text: str) -> str:
    """A metric or param name every tracker accepts (MLflow refuses '=' and ':'): 'snr=2.5' -> 'snr_2.5'."""
    return UNSAFE.sub("_", text)


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[key(prefix)] = str(value)


def _series(run_dir: Path, kind: str, table: Any) -> dict[str, list[tuple[int, float]]]:
    import pandas as pd

    series: dict[str, list[tuple[int, float]]] = {}
    curves = run_dir / "curves.csv"
    if curves.exists():
        frame = pd.read_csv(curves)
        stages = frame["stage"] if "stage" in frame.columns else pd.Series([""] * len(frame))
        for column in [c for c in frame.columns if c not in ("stage", "step")]:
            for stage, step, value in zip(stages, frame["step"], frame[column]):
                if math.isfinite(float(value)):
                    name = f"train/{stage}/{column}" if stage else f"train/{column}"
                    series.setdefault(key(name), []).append((int(step), float(value)))
    if table is not None:
        steps = table["frame"].to_numpy(int) if "frame" in table.columns else np.arange(len(table))
        for column in [c for c in table.columns if c not in ITEM_COLUMNS]:
            points = [(int(s), float(v)) for s, v in zip(steps, table[column]) if math.isfinite(float(v))]
            if points:
                series[key(f"per_{kind}/{column}")] = points
    return series


def export_run(run: dict[str, Any]) -> ExportRun:
    """An index runs row (its run directory's files) as an ExportRun."""
    from talkbench.harness.results_json import item_table, run_results

    run_dir = Path(run["run_dir"])
    results = run_results(run_dir)
    params = {k: str(results.get(k)) for k in ("task", "method", "variant", "dataset", "profile", "seed", "execution",
                                               "fingerprint", "config_hash", "dataset_sha", "git_hash")}
    _flatten("config", (results.get("config") or {}).get("method_config") or {}, params)
    metrics: dict[str, float] = {}
    tags = {"talkbench.run_id": str(run["run_id"]), "talkbench.execution": str(run["execution"]),
            "talkbench.run_dir": str(run_dir), "talkbench.report": str(run_dir / "report.html")}
    for position, (condition, block) in enumerate(results["results"].items()):
        prefix = "" if position == 0 else f"{key(condition)}/"  # the headline condition keeps the bare names
        for name, value in block.items():
            if isinstance(value, dict):  # name_ci: {"low", "high", ...}
                entries = {f"{name[:-3]}_ci_low": value.get("low"), f"{name[:-3]}_ci_high": value.get("high")}
            else:
                entries = {name: value}
            for metric, number in entries.items():
                if number is None:
                    continue
                number = float(number)  # "inf" / "-inf" as written in the results file
                if math.isfinite(number):
                    metrics[prefix + key(metric)] = number
                else:
                    tags[f"nonfinite.{prefix}{key(metric)}"] = str(number)
    kind, table = item_table(run_dir)
    artifacts = [run_dir / n for n in ARTIFACTS if (run_dir / n).exists()] + sorted(run_dir.glob("results_*.json"))
    return ExportRun(str(run["run_id"]), str(run["execution"]), run_dir, params, metrics, _series(run_dir, kind, table),
                     tags, artifacts)


def stored_runs(task: str | None = None, dataset: str | None = None, profile: str | None = None) -> list[ExportRun]:
    """The latest complete execution of every run id with stored results matching the filters."""
    from talkbench.harness.store import Store

    store = Store()
    wanted = dict.fromkeys((r.run_id, r.execution) for r in store.results(task=task, profile=profile, dataset=dataset))
    rows = {(r["run_id"], r["execution"]): r for r in store.runs()}
    out = []
    for ident in wanted:
        run = rows.get(ident)
        if run is None or not run.get("run_dir") or not (Path(run["run_dir"]) / "metrics.json").exists():
            raise BenchError(f"{run['run_dir'] if run else ident[0]}: the run directory of {ident[0]} ({ident[1]}) is "
                             "missing; run `bench store verify`")
        out.append(export_run(run))
    return out


def export(target: str, runs: list[ExportRun], dest: str | None, name: str) -> str:
    """Send `runs` to `target` (mlflow | tensorboard | wandb); one line saying where they went."""
    require(target)
    if target == "mlflow":
        from talkbench.report.export.to_mlflow import export_mlflow as send
    elif target == "tensorboard":
        from talkbench.report.export.to_tensorboard import export_tensorboard as send
    else:
        from talkbench.report.export.to_wandb import export_wandb as send
    return send(runs, dest, name)
