"""The results store: one directory per run plus an embedded SQLite index the leaderboard reads."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from talkbench.infra.paths import index_path

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    task TEXT, method TEXT, variant TEXT, dataset TEXT, profile TEXT, seed INTEGER,
    status TEXT, error TEXT, run_dir TEXT, config TEXT, config_hash TEXT,
    dataset_sha TEXT, uses_ground_truth INTEGER DEFAULT 0,
    started REAL, finished REAL, job_key TEXT
);
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT, condition TEXT, metric TEXT,
    task TEXT, method TEXT, variant TEXT, dataset TEXT, profile TEXT, seed INTEGER,
    value REAL, count INTEGER, unavailable_reason TEXT, higher_is_better INTEGER,
    details TEXT, config_hash TEXT, git_sha TEXT, git_dirty INTEGER, packages TEXT, hardware TEXT,
    wall_time_s REAL, dataset_sha TEXT, uses_ground_truth INTEGER DEFAULT 0, created REAL,
    PRIMARY KEY (run_id, condition, metric)
);
"""


@dataclass
class ResultRow:
    """One metric value (or its unavailability) of one run under one condition."""

    run_id: str
    task: str
    method: str
    variant: str
    dataset: str
    profile: str
    seed: int
    condition: str
    metric: str
    value: float | None
    count: int
    unavailable_reason: str | None
    higher_is_better: bool
    uses_ground_truth: bool = False
    details: dict[str, Any] | None = None
    config_hash: str = ""
    dataset_sha: str = ""
    wall_time_s: float | None = None

    @property
    def label(self) -> str:
        """Row label in tables: the method, plus its config variant when one was set."""
        return f"{self.method} [{self.variant}]" if self.variant else self.method


class Store:
    """SQLite index of runs and results; safe for several processes (WAL, busy timeout)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or index_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.executescript(SCHEMA)
            columns = {row["name"] for row in db.execute("PRAGMA table_info(runs)")}
            if "job_key" not in columns:  # an index written before sweeps resumed by key
                db.execute("ALTER TABLE runs ADD COLUMN job_key TEXT")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction, committed on success."""
        db = sqlite3.connect(self.path, timeout=60)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                yield db
        finally:
            db.close()

    def begin_run(self, run_id: str, **fields: Any) -> None:
        """Record that a run started (or restarted); earlier results of it stay until replaced."""
        fields = {**fields, "status": "running", "error": None, "started": time.time(), "finished": None}
        with self.connect() as db:
            existing = db.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if existing:
                sets = ", ".join(f"{k}=?" for k in fields)
                db.execute(f"UPDATE runs SET {sets} WHERE run_id=?", (*fields.values(), run_id))
            else:
                cols = ", ".join(["run_id", *fields])
                marks = ", ".join("?" * (len(fields) + 1))
                db.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", (run_id, *fields.values()))

    def finish_run(self, run_id: str, status: str, error: str | None = None) -> None:
        """Mark a run complete, failed or skipped."""
        with self.connect() as db:
            db.execute("UPDATE runs SET status=?, error=?, finished=? WHERE run_id=?", (status, error, time.time(), run_id))

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The runs row of `run_id`, or None."""
        with self.connect() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return dict(row) if row else None

    def put_results(self, rows: list[ResultRow], provenance: dict[str, Any]) -> None:
        """Insert or replace result rows (one transaction)."""
        now = time.time()
        with self.connect() as db:
            for r in rows:
                db.execute(
                    "INSERT OR REPLACE INTO results (run_id, condition, metric, task, method, variant, dataset, profile,"
                    " seed, value, count, unavailable_reason, higher_is_better, details, config_hash, git_sha, git_dirty,"
                    " packages, hardware, wall_time_s, dataset_sha, uses_ground_truth, created)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (r.run_id, r.condition, r.metric, r.task, r.method, r.variant, r.dataset, r.profile, r.seed,
                     r.value, r.count, r.unavailable_reason, int(r.higher_is_better), json.dumps(r.details or {}, default=str),
                     r.config_hash, provenance.get("git_sha"), provenance.get("git_dirty"),
                     json.dumps(provenance.get("packages", {})), json.dumps(provenance.get("hardware", {})),
                     r.wall_time_s, r.dataset_sha, int(r.uses_ground_truth), now),
                )

    def results(self, task: str | None = None, profile: str | None = None, dataset: str | None = None,
                run_id: str | None = None) -> list[ResultRow]:
        """Result rows of complete runs, filtered."""
        query = "SELECT results.* FROM results JOIN runs USING (run_id) WHERE runs.status='complete'"
        args: list[Any] = []
        for col, val in (("results.task", task), ("results.profile", profile), ("results.dataset", dataset),
                         ("results.run_id", run_id)):
            if val is not None:
                query += f" AND {col}=?"
                args.append(val)
        with self.connect() as db:
            rows = db.execute(query + " ORDER BY results.created", args).fetchall()
        return [
            ResultRow(run_id=r["run_id"], task=r["task"], method=r["method"], variant=r["variant"] or "",
                      dataset=r["dataset"], profile=r["profile"], seed=r["seed"], condition=r["condition"],
                      metric=r["metric"], value=_to_float(r["value"]), count=r["count"],
                      unavailable_reason=r["unavailable_reason"], higher_is_better=bool(r["higher_is_better"]),
                      uses_ground_truth=bool(r["uses_ground_truth"]), details=json.loads(r["details"] or "{}"),
                      config_hash=r["config_hash"] or "", dataset_sha=r["dataset_sha"] or "", wall_time_s=r["wall_time_s"])
            for r in rows
        ]


def _to_float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return math.inf if value > 1e308 else value
