"""Stored runs as Weights & Biases runs (online, or offline with WANDB_MODE=offline: `wandb sync` uploads them later)."""

from __future__ import annotations

from pathlib import Path

from talkbench.report.export import ExportRun


def run_dir(dest: str | None) -> Path:
    """Where W&B writes its run files: --out, else $BENCH_HOME/wandb."""
    from talkbench.infra.paths import bench_home

    return Path(dest) if dest else bench_home() / "wandb"


def export_wandb(runs: list[ExportRun], dest: str | None, name: str) -> str:
    """One W&B run per execution in project `name`: params as config, values in the summary, series against their
    own step metric (`train/<stage>/...` by training step, `per_frame/...` by frame), tags in the summary."""
    import wandb

    folder = run_dir(dest)
    folder.mkdir(parents=True, exist_ok=True)
    settings = wandb.Settings(silent=True, console="off", x_disable_stats=True, disable_git=True, save_code=False)
    modes = []
    for run in runs:
        tracker = wandb.init(project=name, name=run.run_id, dir=str(folder), config=run.params, settings=settings,
                             group=f"{run.params.get('task')}-{run.params.get('dataset')}-{run.params.get('profile')}",
                             job_type=run.params.get("task"), tags=[run.params.get("method", ""), run.params.get("dataset", "")],
                             notes=run.tags.get("talkbench.run_dir"), reinit="create_new")
        try:
            axes: dict[str, dict[int, dict[str, float]]] = {}
            for key, points in run.series.items():  # series of one axis (per_frame/*, train/head/*) share their steps
                axis = key.rsplit("/", 1)[0]
                for step, value in points:
                    axes.setdefault(axis, {}).setdefault(step, {})[key] = value
            for axis, steps in axes.items():
                step_key = f"{axis}/step"  # each axis its own step metric: W&B's own step only grows
                tracker.define_metric(step_key, hidden=True)
                tracker.define_metric(f"{axis}/*", step_metric=step_key)
                for step, values in sorted(steps.items()):
                    tracker.log({**values, step_key: step})
            tracker.summary.update({**run.metrics, **run.tags})
            modes.append(tracker.settings.mode)
        finally:
            tracker.finish()
    # finish() hands the last records to W&B's service process; teardown waits for it to write and close the run
    # files, so they are complete when export returns (a test reading them right away saw one cut short).
    wandb.teardown()
    mode = ", ".join(sorted(set(modes))) or "no runs"
    return f"exported {len(runs)} run(s) to W&B project {name!r} ({mode}; run files in {folder / 'wandb'})"
