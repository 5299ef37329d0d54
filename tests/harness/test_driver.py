"""The driver (harness/driver.py) end to end on a tiny synthetic portrait: run, store, resume, overwrite modes,
failure isolation, what a rerun reuses."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from talkbench.harness.driver import run_jobs
from talkbench.harness.store import Store
from talkbench.harness.tasks import TASKS
from tests.kit.jobs import spec

pytestmark = pytest.mark.slow


def test_oracle_static_retrieval_end_to_end(tiny_cards: Path) -> None:
    store = Store()
    names = ["oracle", "static", "retrieval"]
    outcomes = dict(zip(names, run_jobs([spec(n) for n in names], store)))
    assert all(o.status == "complete" for o in outcomes.values()), outcomes
    oracle, static, retrieval = outcomes["oracle"], outcomes["static"], outcomes["retrieval"]
    assert math.isinf(oracle.metrics["psnr"].value) and oracle.metrics["ssim"].value == pytest.approx(1.0)
    for other in (static, retrieval):
        assert 5.0 < other.metrics["psnr"].value < 60.0
        assert other.metrics["ssim"].value < 1.0
    lp = oracle.metrics["lpips"]
    assert (lp.value == 0.0) if lp.available else ("bench weights install alexnet" in lp.unavailable_reason)

    run_dir = static.run_dir
    for name in ("config.json", "provenance.json", "metrics.json", "per_frame.csv", "render.mp4", "frames.png", "report.md"):
        assert (run_dir / name).is_file(), name
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert {"git_sha", "git_dirty", "packages", "hardware", "seeds", "timings_s"} <= set(prov)
    assert {"data", "train", "render", "metrics"} <= set(prov["timings_s"])
    per_frame = (run_dir / "per_frame.csv").read_text().splitlines()
    assert per_frame[0].startswith("frame,psnr,ssim") and len(per_frame) == 1 + 12  # 5 s: 125 frames, int(125*10/11) = 113 train, 12 test
    rows = store.results(run_id=oracle.run_id)
    assert {r.metric for r in rows} == set(TASKS.get("reconstruct").metrics)
    assert math.isinf([r for r in rows if r.metric == "psnr"][0].value)


def test_interrupted_run_resumes_from_cached_training(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.methods.baselines.retrieval import Retrieval

    calls = {"train": 0}
    original_train, original_render = Retrieval.train, Retrieval.render

    def counting_train(self, *a, **k):  # type: ignore[no-untyped-def]
        calls["train"] += 1
        return original_train(self, *a, **k)

    def broken_render(self, *a, **k):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # simulated interruption after training

    monkeypatch.setattr(Retrieval, "train", counting_train)
    monkeypatch.setattr(Retrieval, "render", broken_render)
    store = Store()
    with pytest.raises(KeyboardInterrupt):
        run_jobs([spec("retrieval")], store)
    assert calls["train"] == 1
    monkeypatch.setattr(Retrieval, "render", original_render)
    (outcome,) = run_jobs([spec("retrieval")], store)
    assert outcome.status == "complete" and calls["train"] == 1  # training was not repeated


def test_failing_job_does_not_lose_other_results(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.methods.baselines.static import Static

    store = Store()
    run_jobs([spec("oracle")], store)
    monkeypatch.setattr(Static, "render", lambda self, ckpt, drive: (_ for _ in ()).throw(RuntimeError("boom")))
    outcomes = run_jobs([spec("static"), spec("retrieval")], store)
    assert [o.status for o in outcomes] == ["failed", "complete"]
    assert "RuntimeError: boom" in outcomes[0].message and (outcomes[0].run_dir / "error.log").exists()
    methods = {r.method for r in store.results()}
    assert methods == {"oracle", "retrieval"}


def test_overwrite_modes(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.methods.baselines.static import Static

    store = Store()
    (first,) = run_jobs([spec("static")], store)
    (again,) = run_jobs([spec("static", overwrite="never")], store)
    assert again.status == "skipped" and "--overwrite never" in again.message

    calls = {"train": 0}
    original_train = Static.train

    def counting_train(self, *a, **k):  # type: ignore[no-untyped-def]
        calls["train"] += 1
        return original_train(self, *a, **k)

    monkeypatch.setattr(Static, "train", counting_train)
    (cached,) = run_jobs([spec("static", overwrite="only-missing")], store)
    assert cached.status == "complete" and calls["train"] == 0
    (fresh,) = run_jobs([spec("static", overwrite="always")], store)
    assert fresh.status == "complete" and calls["train"] == 1
    assert fresh.metrics["psnr"].value == pytest.approx(first.metrics["psnr"].value)


def test_only_missing_fills_a_metric_that_was_unavailable(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.core.metric import MetricResult
    from talkbench.metrics.image.ssim import SSIM

    original = SSIM.compute
    monkeypatch.setattr(SSIM, "compute", lambda self, p, r, c=None: MetricResult.unavailable("ssim", "pretend missing"))
    store = Store()
    (first,) = run_jobs([spec("static")], store)
    assert not first.metrics["ssim"].available
    monkeypatch.setattr(SSIM, "compute", original)
    (second,) = run_jobs([spec("static")], store)
    assert second.metrics["ssim"].available and 0 < second.metrics["ssim"].value < 1


def test_seeds_set_before_training(tiny_cards: Path) -> None:
    store = Store()
    outcomes = run_jobs([spec("static", seed=1), spec("static", seed=2)], store)
    assert [o.run_id[-2:] for o in outcomes] == ["s1", "s2"]
    assert np.isclose(outcomes[0].metrics["psnr"].value, outcomes[1].metrics["psnr"].value)


def test_environment_key_change_retrains(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A method whose output depends on something outside its config (optional weights) is retrained when it changes."""
    from talkbench.core.registries import METHODS
    from talkbench.methods.baselines.static import Static

    calls: list[int] = []

    class EnvStatic(Static):
        name = "env-static"
        weights_state = "missing"

        def environment_key(self):  # type: ignore[no-untyped-def]
            return {"alexnet": EnvStatic.weights_state}

        def train(self, train_clip, workdir, seed):  # type: ignore[no-untyped-def]
            calls.append(1)
            return super().train(train_clip, workdir, seed)

    monkeypatch.setitem(METHODS._objects, "env-static", EnvStatic)
    store = Store()
    run_jobs([spec("env-static", metrics=("psnr",))], store)
    run_jobs([spec("env-static", metrics=("psnr",))], store)
    assert len(calls) == 1  # cached
    EnvStatic.weights_state = "installed"
    run_jobs([spec("env-static", metrics=("psnr",))], store)
    assert len(calls) == 2


def test_runner_recomputes_lmd_for_another_variant(tiny_cards: Path) -> None:
    from talkbench.harness.driver import run_jobs
    from talkbench.harness.jobs import JobSpec
    from talkbench.harness.store import Store

    store = Store()
    base = dict(method="static", dataset="synthetic-portrait", metrics=("lmd",))
    first = run_jobs([JobSpec(**base)], store)[0].metrics["lmd"]
    again = run_jobs([JobSpec(**base)], store)[0].metrics["lmd"]
    face = run_jobs([JobSpec(**base, metric_options={"region": "face"})], store)[0].metrics["lmd"]
    assert first.details["region"] == again.details["region"] == "mouth" and face.details["region"] == "face"
    if first.available:  # 64 px test frames: the face may be too small for the mesh, then both say so
        assert again.value == first.value and face.value != first.value


RACE_TRIALS = 10
RACE_SEEDS = ("0", "1")
RACE_COMMANDS = (("static", "oracle"), ("oracle", "static"), ("static", "oracle"))
"""Three commands on one dataset with overlapping methods and seeds: every job is run by at least two of them at once."""


def test_concurrent_bench_runs_store_every_result(tiny_cards: Path, tmp_path: Path) -> None:
    """`bench run`s started together into one fresh BENCH_HOME all succeed with every result stored, ten trials in a
    row (with the shared `.part` names this replaced, 2 of 10 trials lost a job). The commands are forked children of
    one interpreter (`tests.kit.race`): separate processes, without paying the imports thirty times."""
    import os
    import subprocess
    import sys

    expected = {f"reconstruct-synthetic-portrait-{m}-smoke-s{s}" for m in ("static", "oracle") for s in RACE_SEEDS}
    trials = []
    for t in range(RACE_TRIALS):
        commands = []
        for methods in RACE_COMMANDS:
            argv = ["run", "--dataset", "synthetic-portrait", "--metric", "psnr", "--no-leaderboard", "--numerics", "native"]
            argv += [a for m in methods for a in ("--method", m)] + [a for s in RACE_SEEDS for a in ("--seed", s)]
            commands.append(argv)
        trials.append({"home": str(tmp_path / f"home{t}"), "commands": commands})
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"trials": trials}))
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "tests.kit.race", str(plan)], cwd=repo, capture_output=True, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    codes = json.loads(out.stdout.strip().splitlines()[-1])
    problems = []
    for trial, trial_codes in zip(trials, codes):
        home = Path(trial["home"])
        logs = [Path(f"{home}.{n}.log").read_text() for n in range(len(RACE_COMMANDS))]
        rows = Store(home / "results.sqlite").results(all_runs=True)
        stored = {r.run_id for r in rows if r.metric == "psnr" and r.value is not None}
        leftovers = [p.name for p in home.rglob("*.tmp-*")]
        if any(trial_codes) or stored != expected or leftovers:
            failed = next((log for code, log in zip(trial_codes, logs) if code), "")
            problems.append(f"{home.name}: exit codes {trial_codes}, missing {sorted(expected - stored)}, "
                            f"temporary leftovers {leftovers[:3]}; {failed[-800:]}")
    assert not problems, "\n".join(problems)


def test_every_progress_line_names_its_run_directory(tmp_path: Path) -> None:
    from talkbench.harness.driver import progress_line
    from talkbench.harness.jobs import JobRecord

    job = spec("static")
    assert progress_line(JobRecord(job, "complete", "", tmp_path / "e1")) == f"[done] {job.run_id} ({tmp_path / 'e1'})"
    assert progress_line(JobRecord(job, "failed", "boom", tmp_path / "e2")) == f"[FAILED] {job.run_id}: boom ({tmp_path / 'e2'})"
    assert progress_line(JobRecord(job, "skipped", "stored")) == f"[skipped] {job.run_id}: stored"
