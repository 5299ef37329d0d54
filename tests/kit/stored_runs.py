"""Stored runs with constructed per-frame values: a run directory (metrics.json, per_frame.csv, MANIFEST.json) and its
index rows, written directly, so report and CLI tests get known statistics without running a method."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from talkbench.core.metric import MetricResult
from talkbench.harness.confidence import interval_columns, item_interval
from talkbench.harness.stages import result_json
from talkbench.harness.store import ResultRow, Store
from talkbench.infra.cache_entry import write_manifest

HIGHER_IS_BETTER = {"psnr": True, "ssim": True, "lmd": False, "lse_c": True}


def store_run(store: Store, root: Path, method: str, values: dict[str, np.ndarray], seed: int = 0, variant: str = "",
              dataset: str = "synthetic-portrait", dataset_sha: str = "sha-1", started: float = 100.0,
              whole: dict[str, float] | None = None) -> list[ResultRow]:
    """Store one complete execution of `method` whose metrics are the means of `values` (per-frame columns);
    `whole` adds metrics with one value per clip (no per-frame column)."""
    run_id = f"reconstruct-{dataset}-{method}{'-' + variant if variant else ''}-smoke-s{seed}"
    run_dir = root / run_id / "e1"
    run_dir.mkdir(parents=True)
    results = {m: MetricResult(m, float(np.mean(v)), per_item=np.asarray(v, dtype=np.float64)) for m, v in values.items()}
    results.update({m: MetricResult(m, v) for m, v in (whole or {}).items()})
    (run_dir / "metrics.json").write_text(json.dumps({"run_id": run_id, "metrics": {m: result_json(r) for m, r in results.items()}}))
    n = len(next(iter(values.values())))
    columns = {"frame": np.arange(n), **{m: np.asarray(v) for m, v in values.items()}}
    import pandas as pd

    pd.DataFrame(columns).to_csv(run_dir / "per_frame.csv", index=False)
    write_manifest(run_dir, ["metrics.json", "per_frame.csv"])
    rows = [ResultRow(run_id=run_id, task="reconstruct", method=method, variant=variant, dataset=dataset, profile="smoke",
                      seed=seed, condition="original", metric=m, value=r.value, count=n, unavailable_reason=None,
                      higher_is_better=HIGHER_IS_BETTER.get(m, True), dataset_sha=dataset_sha, execution="e1",
                      started=started, **interval_columns(item_interval(r)))
            for m, r in results.items()]
    store.record({"run_id": run_id, "execution": "e1", "task": "reconstruct", "method": method, "variant": variant,
                  "dataset": dataset, "profile": "smoke", "seed": seed, "status": "complete", "run_dir": str(run_dir),
                  "started": started, "finished": started + 1}, rows, {})
    return rows
