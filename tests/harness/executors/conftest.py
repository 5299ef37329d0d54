"""A small sweep run under one executor in a fresh BENCH_HOME, and its stored results in comparable form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from talkbench.harness.driver import run_jobs
from talkbench.harness.executors import Executor
from talkbench.harness.jobs import JobSpec
from talkbench.harness.store import Store

SWEEP = [("static", 0), ("static", 1), ("retrieval", 0), ("retrieval", 1)]


def sweep_specs() -> list[JobSpec]:
    """Two cheap methods × two seeds on the tiny synthetic portrait, PSNR and SSIM only."""
    return [JobSpec(method=m, dataset="synthetic-portrait", seed=s, metrics=("psnr", "ssim", "lmd")) for m, s in SWEEP]


def stored(store: Store) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    """Every stored value with what must match across executors (not times or paths)."""
    return {(r.run_id, r.condition, r.metric): (r.value, r.count, r.unavailable_reason,
                                                {k: v for k, v in (r.details or {}).items() if k != "render_key"})
            for r in store.results()}


@pytest.fixture
def run_sweep(tiny_cards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`run_sweep(executor, home_name)`: run the sweep in $tmp/<home_name>, return (records, stored values)."""

    def run(executor: Executor, home: str) -> tuple[list, dict]:  # type: ignore[type-arg]
        monkeypatch.setenv("BENCH_HOME", str(tmp_path / home))
        store = Store()
        records = run_jobs(sweep_specs(), store, executor)
        return records, stored(store)

    return run
