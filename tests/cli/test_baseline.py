"""`bench check` through the command line (cli/baseline.py): --only-present, --failures-only, --write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkbench.cli.main import main
from talkbench.harness.store import ResultRow, Store


def put(store: Store, method: str, metric: str, value: float) -> None:
    run_id = f"reconstruct-d-{method}-smoke-s0"
    store.begin_run(run_id, task="reconstruct", method=method, variant="", dataset="d", profile="smoke", seed=0)
    store.put_results([ResultRow(run_id=run_id, task="reconstruct", method=method, variant="", dataset="d", profile="smoke",
                                 seed=0, condition="original", metric=metric, value=value, count=5,
                                 unavailable_reason=None, higher_is_better=True, dataset_sha="abc")], {})
    store.finish_run(run_id, "complete")


def test_a_partial_set_passes_with_only_present(bench_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    put(store, "static", "psnr", 20.0)
    put(store, "retrieval", "psnr", 22.0)
    path = tmp_path / "b.json"
    assert main(["check", "--baseline", str(path), "--write"]) == 0
    assert "wrote 2 entries" in capsys.readouterr().out
    data = json.loads(path.read_text())
    data["entries"].append({**data["entries"][0], "method": "er-nerf"})  # a method this store never ran
    path.write_text(json.dumps(data))

    assert main(["check", "--baseline", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "bench check: 3 entries — 2 ok, 0 FAIL, 1 missing, 0 new: FAILED"
    assert main(["check", "--baseline", str(path), "--only-present", "--failures-only"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("(missing entries do not fail: --only-present): passed")
    assert [line.split()[0] for line in lines[3:-1]] == ["missing"] and lines[-1] == "(2 ok rows not shown)"
