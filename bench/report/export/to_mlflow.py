"""Stored runs into an MLflow tracking store (a `file:` folder by default; any tracking URI MLflow accepts)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from talkbench.report.export import ExportRun

BATCH = 1000
"""MLflow's limit of metrics per log_batch call (params: 100)."""


def tracking_uri(dest: str | None) -> str:
    """--out as a tracking URI: a URI as given, a folder as `file:` URI; default $MLFLOW_TRACKING_URI, else the
    folder $BENCH_HOME/mlruns."""
    from talkbench.infra.paths import bench_home

    dest = dest or os.environ.get("MLFLOW_TRACKING_URI")
    if not dest:
        return (bench_home() / "mlruns").resolve().as_uri()
    return dest if "://" in dest or dest.startswith("file:") else Path(dest).resolve().as_uri()


def export_mlflow(runs: list[ExportRun], dest: str | None, name: str) -> str:
    """One MLflow run per execution in experiment `name`; an execution already exported there is left as it is."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(dest)
    if uri.startswith("file:"):
        # MLflow >= 3.7 refuses the file store (in maintenance mode) unless asked; mlflow-skinny has no database
        # backend, and a folder of runs is what `bench export` makes by default, so ask (a user's setting wins).
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(name)
    added = 0
    for run in runs:
        done = client.search_runs([experiment_id], filter_string=f"tags.`talkbench.execution` = '{run.execution}' and "
                                  f"tags.`talkbench.run_id` = '{run.run_id}'")
        if done:  # exporting twice gives one run, not two
            continue
        created = client.create_run(experiment_id, run_name=run.run_id, tags=run.tags)
        rid = created.info.run_id
        now = int(time.time() * 1000)
        params = [Param(k, v[:6000]) for k, v in run.params.items()]
        metrics = [Metric(k, v, now, 0) for k, v in run.metrics.items()]
        metrics += [Metric(k, v, now, step) for k, points in run.series.items() for step, v in points]
        for i in range(0, max(len(params), 1), 100):
            client.log_batch(rid, params=params[i:i + 100])
        for i in range(0, len(metrics), BATCH):
            client.log_batch(rid, metrics=metrics[i:i + BATCH])
        for path in run.artifacts:
            client.log_artifact(rid, str(path))
        client.set_terminated(rid)
        added += 1
    return f"exported {added} run(s) to MLflow experiment {name!r} at {uri} ({len(runs) - added} already there)"
