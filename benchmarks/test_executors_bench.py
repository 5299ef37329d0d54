"""Executors: the process pool's speed-up from `--jobs 1` to `--jobs 2` on the cheap methods, and Ray's overhead per job.

- `process_pool[1]` / `process_pool[2]`: a sweep of cheap jobs (static, retrieval, oracle × 4 seeds on the embedded
  synthetic portrait at the smoke profile, PSNR/SSIM/LMD) in a fresh BENCH_HOME each round, the dataset generated
  beforehand (untimed); the speed-up is the ratio of the two means. Each round includes starting the workers
  (a spawned interpreter importing torch and mediapipe), which is what a user waits for too.
- `dispatch_local` / `dispatch_ray`: N jobs that fail at once (an unknown dataset), so the time is the executor's own:
  encoding, scheduling, a worker call and decoding. Ray's overhead per job is the difference of the medians per job
  (the first local round imports the task code, hence a warm-up round), on a one-CPU
  instance (one task at a time, like local) started and warmed beforehand (its start-up is timed separately).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from talkbench.harness.driver import run_jobs
from talkbench.harness.executors import ExecutorOptions, LocalExecutor, make_executor
from talkbench.harness.jobs import JobSpec
from talkbench.harness.store import Store

SWEEP = [(m, s) for m in ("static", "retrieval", "oracle") for s in range(4)]
DISPATCH_JOBS = 16
_MEANS: dict[str, float] = {}


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A function making a new BENCH_HOME holding only the generated dataset (copied from a first one)."""
    from talkbench.datasets.cards import load_dataset

    seed = tmp_path / "seed-home"
    monkeypatch.setenv("BENCH_HOME", str(seed))
    load_dataset("synthetic-portrait", "smoke")
    count = iter(range(1000))

    def make() -> None:
        home = tmp_path / f"home-{next(count)}"
        shutil.copytree(seed / "data", home / "data")
        os.environ["BENCH_HOME"] = str(home)

    return make


def _sweep() -> list[JobSpec]:
    return [JobSpec(m, "synthetic-portrait", seed=s, metrics=("psnr", "ssim", "lmd")) for m, s in SWEEP]


def _run_sweep(executor) -> None:  # type: ignore[no-untyped-def]
    records = run_jobs(_sweep(), Store(), executor)
    assert all(r.status == "complete" for r in records), [r.message for r in records if r.status != "complete"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_process_pool(benchmark, fresh_home, jobs: int) -> None:  # type: ignore[no-untyped-def]
    executor = make_executor("process", ExecutorOptions(jobs=jobs))
    benchmark.pedantic(_run_sweep, args=(executor,), setup=fresh_home, rounds=2, iterations=1)
    _MEANS[f"process --jobs {jobs}"] = benchmark.stats.stats.mean if benchmark.stats else float("nan")


def _dispatch(executor) -> None:  # type: ignore[no-untyped-def]
    specs = [JobSpec("static", "no-such-dataset", seed=i) for i in range(DISPATCH_JOBS)]
    records = list(executor.map(specs))
    assert len(records) == DISPATCH_JOBS and all(r.status == "failed" for r in records)


def test_dispatch_local(benchmark, fresh_home) -> None:  # type: ignore[no-untyped-def]
    fresh_home()
    benchmark.pedantic(_dispatch, args=(LocalExecutor(),), rounds=5, iterations=1, warmup_rounds=1)
    _MEANS["dispatch local"] = benchmark.stats.stats.median if benchmark.stats else float("nan")


def test_dispatch_ray(benchmark, fresh_home) -> None:  # type: ignore[no-untyped-def]
    ray = pytest.importorskip("ray")
    import time

    fresh_home()
    t0 = time.perf_counter()
    ray.init(num_cpus=1, include_dashboard=False, configure_logging=False)
    _MEANS["ray start"] = time.perf_counter() - t0
    try:
        executor = make_executor("ray")
        _dispatch(executor)  # the first call starts the workers
        benchmark.pedantic(_dispatch, args=(executor,), rounds=5, iterations=1)
        _MEANS["dispatch ray"] = benchmark.stats.stats.median if benchmark.stats else float("nan")
    finally:
        ray.shutdown()


@pytest.fixture(scope="module", autouse=True)
def summary(summary_lines: list[str]):  # type: ignore[no-untyped-def]
    """The ratios the closing note reports, added to the terminal summary after the module."""
    yield
    lines = summary_lines
    if {"process --jobs 1", "process --jobs 2"} <= set(_MEANS):
        one, two = _MEANS["process --jobs 1"], _MEANS["process --jobs 2"]
        lines.append(f"process pool, {len(SWEEP)} cheap jobs: --jobs 1 {one:.1f} s, --jobs 2 {two:.1f} s, "
                     f"speed-up {one / two:.2f}x")
    if {"dispatch local", "dispatch ray"} <= set(_MEANS):
        per_job = (_MEANS["dispatch ray"] - _MEANS["dispatch local"]) / DISPATCH_JOBS
        lines.append(f"Ray overhead per job {per_job * 1000:.0f} ms over local ({DISPATCH_JOBS} jobs; "
                     f"instance start {_MEANS['ray start']:.1f} s)")
