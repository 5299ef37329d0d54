"""The process-pool executor: the same stored results as a local run, and a dead worker fails only its jobs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from talkbench.core.errors import BenchError
from talkbench.harness.executors import ExecutorOptions, LocalExecutor, make_executor
from talkbench.harness.jobs import JobSpec
from talkbench.harness.store import Store
from tests.kit.plugins import install_plugin

pytestmark = pytest.mark.slow


def test_process_pool_reproduces_the_local_results_exactly(run_sweep) -> None:  # type: ignore[no-untyped-def]
    local_records, local = run_sweep(LocalExecutor(), "local")
    pool_records, pool = run_sweep(make_executor("process", ExecutorOptions(jobs=2)), "process")
    assert all(r.status == "complete" for r in local_records + pool_records), [r.message for r in pool_records]
    assert local and pool == local
    assert [r.run_id for r in pool_records] == [r.run_id for r in local_records]  # spec order, whatever finished first


CRASHER = """
import os
from talkbench.methods.baselines.static import Static


class Crash(Static):
    \"\"\"Dies in training as a segfault or the OOM killer would end a worker.\"\"\"

    name = "crash"

    def train(self, train_clip, workdir, seed):
        os._exit(9)
"""


def test_a_worker_that_dies_fails_its_job_and_the_others_complete(tiny_cards: Path, bench_home: Path,
                                                                   tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site", "crash_talker", CRASHER, "[talkbench.methods]\ncrash = crash_talker:Crash\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-m", "talkbench.cli.main", "run", "--method", "static", "--method", "crash",
                          "--dataset", "synthetic-portrait", "--metric", "psnr", "--executor", "process", "--jobs", "2",
                          "--numerics", "native", "--no-leaderboard"], capture_output=True, text=True, env=env)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert re.search(r"1 of 2 jobs failed: reconstruct-synthetic-portrait-crash-smoke-s0: a worker process died", run.stderr)
    rows = Store().results()
    assert {r.method for r in rows} == {"static"} and rows[0].value is not None
    assert Store().get_run("reconstruct-synthetic-portrait-crash-smoke-s0") is None  # never started, so nothing indexed


def test_jobs_must_be_positive() -> None:
    with pytest.raises(BenchError, match="--jobs must be at least 1"):
        make_executor("process", ExecutorOptions(jobs=0))


def test_unknown_executor_is_named() -> None:
    with pytest.raises(BenchError, match="unknown executor 'dask'.*local, process, ray, slurm"):
        make_executor("dask")


def test_spec_order_is_kept_for_an_empty_sweep() -> None:
    assert list(make_executor("process", ExecutorOptions(jobs=2)).map([])) == []
    assert JobSpec("static", "synthetic-portrait").run_id.startswith("reconstruct-")
