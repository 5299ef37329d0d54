"""The SLURM executor through submitit's local executor: the array completes and its records are read as JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.harness.executors import ExecutorOptions, LocalExecutor, make_executor


@pytest.mark.slow
def test_a_submitit_local_array_completes_with_the_local_results(run_sweep, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    submitit = pytest.importorskip("submitit", reason="submitit is in the [distributed] extra")

    def no_unpickling(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the driver unpickled a submitit result")

    monkeypatch.setattr(submitit.Job, "result", no_unpickling)
    monkeypatch.setattr(submitit.Job, "results", no_unpickling)
    folder = tmp_path / "array"
    _, local = run_sweep(LocalExecutor(), "local")
    records, on_array = run_sweep(make_executor("slurm", ExecutorOptions(slurm_cluster="local", slurm_folder=folder)), "slurm")
    assert all(r.status == "complete" for r in records), [r.message for r in records]
    assert on_array == local
    written = sorted(folder.glob("record-*.json"))
    assert len(written) == len(records)
