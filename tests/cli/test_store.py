"""`bench store verify|rebuild` (cli/store.py) on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.cli.main import main
from talkbench.harness.driver import run_jobs
from talkbench.harness.store import Store
from tests.kit.jobs import spec


@pytest.mark.slow
def test_verify_then_rebuild(tiny_cards: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (outcome,) = run_jobs([spec("static", metrics=("psnr",))], Store())
    assert main(["store", "verify"]) == 0
    out = capsys.readouterr().out
    assert "sound" in out and "0 missing from the index" in out and out.strip().endswith("OK")

    (bench_home / "results.sqlite").write_bytes(b"")
    assert main(["store", "verify"]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED (zero bytes)" in out and "PROBLEMS" in out

    assert main(["store", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "1 executions of 1 runs, 1 results" in out and "results.sqlite.before-rebuild-" in out
    assert main(["store", "verify"]) == 0
    assert [r.value for r in Store().results()] == [outcome.metrics["psnr"].value]
