"""The results index (harness/store.py): WAL, damage found on open and repaired from the run directories, the first
schema migrated, latest execution vs all executions, concurrent writers."""

from __future__ import annotations

import math
import os
import sqlite3
import time
from pathlib import Path

import pytest

from talkbench.harness.driver import run_jobs
from talkbench.harness.store import SCHEMA_VERSION, ResultRow, Store, index_problem
from tests.kit.jobs import spec
from tests.kit.threads import run_in_threads

V1_SCHEMA = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, task TEXT, method TEXT, variant TEXT, dataset TEXT, profile TEXT,
    seed INTEGER, status TEXT, error TEXT, run_dir TEXT, config TEXT, config_hash TEXT, dataset_sha TEXT,
    uses_ground_truth INTEGER DEFAULT 0, started REAL, finished REAL);
CREATE TABLE results (run_id TEXT, condition TEXT, metric TEXT, task TEXT, method TEXT, variant TEXT, dataset TEXT,
    profile TEXT, seed INTEGER, value REAL, count INTEGER, unavailable_reason TEXT, higher_is_better INTEGER,
    details TEXT, config_hash TEXT, git_sha TEXT, git_dirty INTEGER, packages TEXT, hardware TEXT, wall_time_s REAL,
    dataset_sha TEXT, uses_ground_truth INTEGER DEFAULT 0, created REAL, PRIMARY KEY (run_id, condition, metric));
"""
"""The index as talkbench wrote it before run history (one row per run id)."""


def row(run_id: str, execution: str, value: float, started: float, metric: str = "psnr") -> ResultRow:
    return ResultRow(run_id=run_id, task="reconstruct", method=run_id, variant="", dataset="d", profile="smoke", seed=0,
                     condition="original", metric=metric, value=value, count=3, unavailable_reason=None,
                     higher_is_better=True, execution=execution, started=started)


def record(store: Store, run_id: str, execution: str, value: float, started: float, status: str = "complete") -> None:
    store.record({"run_id": run_id, "execution": execution, "task": "reconstruct", "method": run_id, "variant": "",
                  "dataset": "d", "profile": "smoke", "seed": 0, "status": status, "started": started,
                  "finished": started + 1}, [row(run_id, execution, value, started)] if status == "complete" else [], {})


def stored(store: Store) -> set[tuple]:
    return {(r.run_id, r.execution, r.condition, r.metric, r.value) for r in store.results(all_runs=True)}


def test_wal_mode_and_schema_version(bench_home: Path) -> None:
    store = Store()
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_latest_execution_per_run_unless_all_runs(bench_home: Path) -> None:
    store = Store()
    record(store, "a", "e1", 20.0, started=100.0)
    record(store, "a", "e2", 22.0, started=200.0)
    record(store, "a", "e3", 0.0, started=300.0, status="failed")  # a failed attempt hides nothing
    record(store, "b", "e1", 30.0, started=150.0)
    assert {(r.run_id, r.value) for r in store.results()} == {("a", 22.0), ("b", 30.0)}
    assert {(r.run_id, r.execution) for r in store.results(all_runs=True)} == {("a", "e1"), ("a", "e2"), ("b", "e1")}
    assert store.get_run("a")["execution"] == "e3" and store.get_run("a")["status"] == "failed"


def test_concurrent_writers_lose_nothing(bench_home: Path) -> None:
    Store()

    def write(n: int) -> None:
        store = Store()
        for i in range(15):
            record(store, f"run{n}-{i}", "e", float(i), started=time.time())

    errors = run_in_threads(write)
    assert not errors and len(Store().results()) == 60


def test_first_schema_is_migrated_without_losing_results(bench_home: Path) -> None:
    path = bench_home / "results.sqlite"
    bench_home.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute("INSERT INTO runs (run_id, task, method, variant, dataset, profile, seed, status, run_dir, started, finished)"
                   " VALUES ('r1', 'reconstruct', 'static', '', 'd', 'smoke', 0, 'complete', '/x/r1', 1700000000.5, 1700000010)")
        for metric, value in (("psnr", 24.83), ("ssim", 0.9)):
            db.execute("INSERT INTO results (run_id, condition, metric, task, method, variant, dataset, profile, seed, value,"
                       " count, higher_is_better, details, created) VALUES ('r1', 'original', ?, 'reconstruct', 'static',"
                       " '', 'd', 'smoke', 0, ?, 12, 1, '{}', 1700000010)", (metric, value))
    store = Store()
    assert {(r.run_id, r.execution, r.metric, r.value) for r in store.results()} == {
        ("r1", "legacy", "psnr", 24.83), ("r1", "legacy", "ssim", 0.9)}
    run = store.get_run("r1")
    assert run["started_iso"] == "2023-11-14T22:13:20.500Z" and run["run_dir"] == "/x/r1"
    record(store, "r1", "20240101T000000Z-abcd1234", 25.0, started=1800000000.0)  # a new execution beside it
    assert [r.value for r in store.results(run_id="r1")] == [25.0]
    assert len(store.results(run_id="r1", all_runs=True)) == 3
    assert Store().results(run_id="r1", all_runs=True)  # reopening a migrated index is a no-op


def damage(path: Path, how: str) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    data = path.read_bytes()
    if how == "zero-bytes":
        path.write_bytes(b"")
    elif how == "half-truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "random-bytes":
        path.write_bytes(os.urandom(len(data)))
    else:  # missing tables
        path.unlink()
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE runs (run_id TEXT, status TEXT)")


@pytest.mark.slow
def test_damaged_index_is_moved_aside_and_rebuilt_with_every_result(tiny_cards: Path, bench_home: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    outcomes = run_jobs([spec("static", metrics=("psnr", "ssim")), spec("oracle", metrics=("psnr", "ssim"))], store)
    assert [o.status for o in outcomes] == ["complete", "complete"]
    before = stored(store)
    runs_before = {(r["run_id"], r["execution"], r["status"], r["started_iso"], r["finished_iso"], r["dataset_sha"])
                   for r in store.runs()}
    assert len(before) == 4 and any(math.isinf(v) for *_, v in before)
    for how in ("zero-bytes", "half-truncated", "random-bytes", "missing-tables"):
        damage(store.path, how)
        assert index_problem(store.path) is not None, how
        capsys.readouterr()
        repaired = Store()
        lines = [l for l in capsys.readouterr().err.splitlines() if "results index" in l]
        assert len(lines) == 1 and "was damaged" in lines[0] and "rebuilt from the run directories" in lines[0], lines
        assert "2 executions of 2 runs, 4 results" in lines[0]
        assert stored(repaired) == before, how
        assert {(r["run_id"], r["execution"], r["status"], r["started_iso"], r["finished_iso"], r["dataset_sha"])
                for r in repaired.runs()} == runs_before
    assert len(list(bench_home.glob("results.sqlite.damaged-*"))) >= 4  # each damaged file kept for inspection


def test_damage_while_open_says_how_to_repair(bench_home: Path) -> None:
    from talkbench.core.errors import BenchError

    store = Store()
    record(store, "a", "e1", 20.0, started=1.0)
    damage(store.path, "random-bytes")
    with pytest.raises(BenchError, match="damaged .*run: bench store rebuild"):
        store.results()


def test_an_unreadable_index_is_an_error_not_damage(bench_home: Path) -> None:
    from talkbench.core.errors import BenchError

    (bench_home / "results.sqlite").mkdir(parents=True)  # e.g. a path SQLite cannot open: never moved aside
    with pytest.raises(BenchError, match="cannot read the results index"):
        Store()
    assert (bench_home / "results.sqlite").is_dir() and not list(bench_home.glob("results.sqlite.damaged-*"))


def test_a_home_whose_path_has_uri_characters(tmp_path: Path) -> None:
    path = tmp_path / "odd ?#%20 home" / "results.sqlite"
    store = Store(path)
    record(store, "a", "e1", 20.0, started=1.0)
    assert index_problem(path) is None and [r.value for r in Store(path).results()] == [20.0]


V2_RESULTS = """
CREATE TABLE results (
    run_id TEXT NOT NULL, execution TEXT NOT NULL, condition TEXT, metric TEXT,
    task TEXT, method TEXT, variant TEXT, dataset TEXT, profile TEXT, seed INTEGER,
    value REAL, count INTEGER, unavailable_reason TEXT, higher_is_better INTEGER,
    details TEXT, config_hash TEXT, git_sha TEXT, git_dirty INTEGER, packages TEXT, hardware TEXT,
    wall_time_s REAL, dataset_sha TEXT, uses_ground_truth INTEGER DEFAULT 0, created REAL,
    PRIMARY KEY (run_id, execution, condition, metric));
"""
"""The results table of the second schema (before confidence intervals)."""


def test_second_schema_gains_interval_columns_and_keeps_its_rows(bench_home: Path) -> None:
    from talkbench.harness.store import SCHEMA

    path = bench_home / "results.sqlite"
    bench_home.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA.split("CREATE TABLE IF NOT EXISTS results")[0] + V2_RESULTS)
        db.execute("INSERT INTO runs (run_id, execution, task, method, dataset, profile, seed, status, started)"
                   " VALUES ('r1', 'e1', 'reconstruct', 'static', 'd', 'smoke', 0, 'complete', 100.0)")
        db.execute("INSERT INTO results (run_id, execution, condition, metric, task, method, variant, dataset, profile,"
                   " seed, value, count, higher_is_better, details, created) VALUES ('r1', 'e1', 'original', 'psnr',"
                   " 'reconstruct', 'static', '', 'd', 'smoke', 0, 24.83, 12, 1, '{}', 100.0)")
        db.execute("PRAGMA user_version=2")
    store = Store()
    (kept,) = store.results()
    assert (kept.run_id, kept.value, kept.count, kept.ci_low, kept.ci_note) == ("r1", 24.83, 12, None, None)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    import dataclasses

    store.put_results([dataclasses.replace(row("r1", "e1", 25.0, 100.0), ci_low=24.0, ci_high=26.0, ci_note="n")], {})
    (new,) = Store().results()
    assert (new.value, new.ci_low, new.ci_high, new.ci_note) == (25.0, 24.0, 26.0, "n")
