"""The results store: run directories plus an embedded SQLite index the leaderboard reads.

The index is only an index: everything in it can be rebuilt from the run directories (`harness.store_repair`). It
runs in WAL mode with a busy timeout, so several processes record at once. A damaged file (zero bytes, cut short,
random bytes, missing tables) is found when it is opened, moved aside to `results.sqlite.damaged-<time>` and rebuilt,
with one line saying so. An index of the first schema (one row per run id) is migrated in place, and one of the second (no confidence
intervals) gains the interval columns in place (its rows keep NULL intervals until `bench store rebuild`).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from talkbench.core.errors import BenchError
from talkbench.harness.history import LEGACY, iso
from talkbench.infra.cache_entry import lock_for
from talkbench.infra.notes import note
from talkbench.infra.paths import index_path

SCHEMA_VERSION = 3
BUSY_TIMEOUT_S = 60.0

RUN_COLUMNS = ("run_id", "execution", "fingerprint", "task", "method", "variant", "dataset", "profile", "seed", "status",
               "error", "run_dir", "config", "config_hash", "dataset_sha", "uses_ground_truth", "started", "finished",
               "started_iso", "finished_iso", "job_key")
RESULT_COLUMNS = ("run_id", "execution", "condition", "metric", "task", "method", "variant", "dataset", "profile", "seed",
                  "value", "count", "unavailable_reason", "higher_is_better", "details", "config_hash", "git_sha",
                  "git_dirty", "packages", "hardware", "wall_time_s", "dataset_sha", "uses_ground_truth", "created", "ci_low", "ci_high", "ci_note")
CI_COLUMNS = {"ci_low": "REAL", "ci_high": "REAL", "ci_note": "TEXT"}
"""Added by schema 3: the 95 % CI stored with each value (`harness.confidence`) and how it was made, or why none."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT NOT NULL, execution TEXT NOT NULL, fingerprint TEXT,
    task TEXT, method TEXT, variant TEXT, dataset TEXT, profile TEXT, seed INTEGER,
    status TEXT, error TEXT, run_dir TEXT, config TEXT, config_hash TEXT,
    dataset_sha TEXT, uses_ground_truth INTEGER DEFAULT 0,
    started REAL, finished REAL, started_iso TEXT, finished_iso TEXT, job_key TEXT,
    PRIMARY KEY (run_id, execution)
);
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL, execution TEXT NOT NULL, condition TEXT, metric TEXT,
    task TEXT, method TEXT, variant TEXT, dataset TEXT, profile TEXT, seed INTEGER,
    value REAL, count INTEGER, unavailable_reason TEXT, higher_is_better INTEGER,
    details TEXT, config_hash TEXT, git_sha TEXT, git_dirty INTEGER, packages TEXT, hardware TEXT,
    wall_time_s REAL, dataset_sha TEXT, uses_ground_truth INTEGER DEFAULT 0, created REAL,
    ci_low REAL, ci_high REAL, ci_note TEXT,
    PRIMARY KEY (run_id, execution, condition, metric)
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, run_id, started);
"""


@dataclass
class ResultRow:
    """One metric value (or its unavailability) of one execution of a run under one condition."""

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
    execution: str = ""
    started: float | None = None
    """When the execution started (epoch seconds): what "latest" means."""
    ci_low: float | None = None
    ci_high: float | None = None
    """The 95 % CI of `value` over its items (frames, utterances), when the value is their mean."""
    ci_note: str | None = None
    """How the CI was made, or why there is none (None: stored before talkbench kept intervals)."""

    @property
    def label(self) -> str:
        """Row label in tables: the method, plus its config variant when one was set."""
        return f"{self.method} [{self.variant}]" if self.variant else self.method


def index_problem(path: Path) -> str | None:
    """Why the index file at `path` is damaged, or None when it is sound (or absent, or a new empty database)."""
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        return "zero bytes"
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)) as db:
            check = [str(r[0]) for r in db.execute("PRAGMA quick_check").fetchall()]
            if check != ["ok"]:
                first = check[0].replace("*** in database main ***", "").strip().splitlines()[0]
                return f"quick_check: {first[:120]}"
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return None
            missing = sorted({"runs", "results"} - tables)
            if missing:
                return f"missing table(s) {', '.join(missing)}"
            for table, needed in (("runs", {"run_id", "status"}), ("results", {"run_id", "metric", "value"})):
                columns = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
                if not needed <= columns:
                    return f"table {table} lacks column(s) {', '.join(sorted(needed - columns))}"
    except sqlite3.OperationalError as exc:  # locked, busy, no permission: not damage, never moved aside
        raise BenchError(f"{path}: cannot read the results index ({exc})") from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        return str(exc)
    return None


def move_aside(path: Path, tag: str) -> Path:
    """Rename the index (and its -wal/-shm files) to `<name>.<tag>-<UTC time>`; returns the new name of the index."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.{tag}-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.{tag}-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            os.replace(part, Path(str(aside) + suffix))
    return aside


class Store:
    """SQLite index of executions and results; safe for several processes (WAL, busy timeout), repaired on open."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or index_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with lock_for(self.path):  # one process at a time checks, repairs, creates or migrates the file
            problem = index_problem(self.path)
            if problem is not None:
                self._recover(problem)
            self._prepare()

    def _recover(self, problem: str) -> None:
        from talkbench.harness.store_repair import rebuild_into

        aside = move_aside(self.path, "damaged")
        summary = rebuild_into(self.path)
        note(f"the results index {self.path} was damaged ({problem}): moved to {aside.name} and rebuilt from the run "
             f"directories ({summary})")

    def _prepare(self) -> None:
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as db:
            db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA journal_mode=WAL")
            if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                create_schema(db)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction, committed on success; a damaged file says how to repair it."""
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        except sqlite3.DatabaseError as exc:
            raise BenchError(f"{self.path}: cannot open the results index ({exc}); run: bench store rebuild") from exc
        db.row_factory = sqlite3.Row
        try:
            db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            with db:
                yield db
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise BenchError(f"{self.path}: the results index stayed locked for {BUSY_TIMEOUT_S:g} s ({exc})") from exc
            raise
        except sqlite3.DatabaseError as exc:
            if type(exc) is sqlite3.DatabaseError:  # what SQLite raises for damage (subclasses are usage errors)
                raise BenchError(f"{self.path}: the results index is damaged ({exc}); run: bench store rebuild") from exc
            raise
        finally:
            db.close()

    def record(self, run: dict[str, Any], rows: list[ResultRow], provenance: dict[str, Any]) -> None:
        """Insert or replace one execution's runs row and its result rows, in one transaction (a reader never sees
        a complete execution without its results)."""
        with self.connect() as db:
            put_run(db, run)
            put_results(db, rows, provenance)

    def begin_run(self, run_id: str, execution: str = "", **fields: Any) -> None:
        """Mark an execution running (for rows stored by hand; `bench run` stores whole executions with `record`)."""
        now = time.time()
        with self.connect() as db:
            old = db.execute("SELECT * FROM runs WHERE run_id=? AND execution=?", (run_id, execution)).fetchone()
            put_run(db, {**(dict(old) if old else {}), **fields, "run_id": run_id, "execution": execution,
                         "status": "running", "error": None, "started": now, "started_iso": iso(now), "finished": None,
                         "finished_iso": None})

    def put_results(self, rows: list[ResultRow], provenance: dict[str, Any]) -> None:
        """Insert or replace result rows (one transaction)."""
        with self.connect() as db:
            put_results(db, rows, provenance)

    def finish_run(self, run_id: str, status: str, error: str | None = None, execution: str = "") -> None:
        """Mark an execution complete, failed or skipped (see `begin_run`)."""
        now = time.time()
        with self.connect() as db:
            db.execute("UPDATE runs SET status=?, error=?, finished=?, finished_iso=? WHERE run_id=? AND execution=?",
                       (status, error, now, iso(now), run_id, execution))

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The latest execution (by start time) of `run_id`, or None."""
        with self.connect() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id=? ORDER BY started DESC, execution DESC LIMIT 1",
                             (run_id,)).fetchone()
        return dict(row) if row else None

    def run_dir(self, run_id: str, execution: str) -> Path | None:
        """The directory of one execution, or None when the index does not know it."""
        with self.connect() as db:
            row = db.execute("SELECT run_dir FROM runs WHERE run_id=? AND execution=?", (run_id, execution)).fetchone()
        return Path(row["run_dir"]) if row and row["run_dir"] else None

    def runs(self) -> list[dict[str, Any]]:
        """Every execution row."""
        with self.connect() as db:
            return [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY run_id, started")]

    def results(self, task: str | None = None, profile: str | None = None, dataset: str | None = None,
                run_id: str | None = None, all_runs: bool = False) -> list[ResultRow]:
        """Result rows of complete executions, filtered: the latest complete execution of each run id, or every
        execution with `all_runs`. Ordered by start time."""
        latest = "" if all_runs else (
            " AND runs.execution = (SELECT r2.execution FROM runs r2 WHERE r2.run_id = runs.run_id AND r2.status='complete'"
            " ORDER BY r2.started DESC, r2.execution DESC LIMIT 1)")
        query = ("SELECT results.*, runs.started AS run_started FROM results JOIN runs USING (run_id, execution)"
                 " WHERE runs.status='complete'" + latest)
        args: list[Any] = []
        for col, val in (("results.task", task), ("results.profile", profile), ("results.dataset", dataset),
                         ("results.run_id", run_id)):
            if val is not None:
                query += f" AND {col}=?"
                args.append(val)
        with self.connect() as db:
            rows = db.execute(query + " ORDER BY runs.started, results.created", args).fetchall()
        return [
            ResultRow(run_id=r["run_id"], task=r["task"], method=r["method"], variant=r["variant"] or "",
                      dataset=r["dataset"], profile=r["profile"], seed=r["seed"], condition=r["condition"],
                      metric=r["metric"], value=_to_float(r["value"]), count=r["count"],
                      unavailable_reason=r["unavailable_reason"], higher_is_better=bool(r["higher_is_better"]),
                      uses_ground_truth=bool(r["uses_ground_truth"]), details=json.loads(r["details"] or "{}"),
                      config_hash=r["config_hash"] or "", dataset_sha=r["dataset_sha"] or "", wall_time_s=r["wall_time_s"],
                      execution=r["execution"], started=r["run_started"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                      ci_note=r["ci_note"])
            for r in rows
        ]


def put_run(db: sqlite3.Connection, run: dict[str, Any]) -> None:
    """Insert or replace a runs row (unknown keys are ignored, missing ones stored as NULL)."""
    cols = [c for c in RUN_COLUMNS if c in run]
    db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
               [run[c] for c in cols])


def put_results(db: sqlite3.Connection, rows: list[ResultRow], provenance: dict[str, Any]) -> None:
    """Insert or replace result rows."""
    now = time.time()
    for r in rows:
        db.execute(
            f"INSERT OR REPLACE INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({', '.join('?' * len(RESULT_COLUMNS))})",
            (r.run_id, r.execution, r.condition, r.metric, r.task, r.method, r.variant, r.dataset, r.profile, r.seed,
             r.value, r.count, r.unavailable_reason, int(r.higher_is_better), json.dumps(r.details or {}, default=str),
             r.config_hash, provenance.get("git_sha"), provenance.get("git_dirty"),
             json.dumps(provenance.get("packages", {})), json.dumps(provenance.get("hardware", {})),
             r.wall_time_s, r.dataset_sha, int(r.uses_ground_truth), now, r.ci_low, r.ci_high, r.ci_note),
        )


def create_schema(db: sqlite3.Connection) -> None:
    """Create the tables, migrating those of the first schema (one row per run id: each old run becomes execution
    `legacy` of its run id) and adding the interval columns to those of the second, in one transaction. `db` must be
    in autocommit mode (isolation_level=None)."""
    statements = [s.strip() for s in SCHEMA.split(";") if s.strip()]
    db.execute("BEGIN IMMEDIATE")
    try:
        runs_cols = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
        if runs_cols and "execution" not in runs_cols:
            db.execute("ALTER TABLE runs RENAME TO runs_v1")
            db.execute("ALTER TABLE results RENAME TO results_v1")
            for statement in statements:
                db.execute(statement)
            old_runs = {r[1] for r in db.execute("PRAGMA table_info(runs_v1)")}
            old_results = {r[1] for r in db.execute("PRAGMA table_info(results_v1)")}
            cols = [c for c in RUN_COLUMNS if c in old_runs and c != "execution"]
            db.execute(f"INSERT INTO runs ({', '.join(cols)}, execution) SELECT {', '.join(cols)}, ? FROM runs_v1", (LEGACY,))
            db.execute("UPDATE runs SET started_iso = strftime('%Y-%m-%dT%H:%M:%fZ', started, 'unixepoch'),"
                       " finished_iso = strftime('%Y-%m-%dT%H:%M:%fZ', finished, 'unixepoch') WHERE execution=?", (LEGACY,))
            cols = [c for c in RESULT_COLUMNS if c in old_results and c != "execution"]
            db.execute(f"INSERT INTO results ({', '.join(cols)}, execution) SELECT {', '.join(cols)}, ? FROM results_v1",
                       (LEGACY,))
            db.execute("DROP TABLE runs_v1")
            db.execute("DROP TABLE results_v1")
        results_cols = {r[1] for r in db.execute("PRAGMA table_info(results)")}
        for column, kind in CI_COLUMNS.items():  # schema 2 -> 3: the rows stay, their intervals are NULL
            if results_cols and column not in results_cols:
                db.execute(f"ALTER TABLE results ADD COLUMN {column} {kind}")
        for statement in statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _to_float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return math.inf if value > 1e308 else value
