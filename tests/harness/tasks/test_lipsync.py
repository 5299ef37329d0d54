"""The lipsync task (harness/tasks/lipsync.py): both conditions scored, renders reused on a rerun."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_lipsync_task_scores_both_conditions(tiny_cards: Path) -> None:
    from talkbench.harness.driver import run_jobs
    from talkbench.harness.jobs import JobSpec
    from talkbench.harness.store import Store

    store = Store()
    [outcome] = run_jobs([JobSpec(method="retrieval", dataset="synthetic-portrait", task="lipsync")], store)
    assert outcome.status == "complete", outcome.message
    rows = store.results(run_id=outcome.run_id)
    assert {r.condition for r in rows} == {"original", "corrupted"}
    assert {r.metric for r in rows} == {"lmd", "aue", "lse_c", "lse_d"}
    lmd = {r.condition: r.value for r in rows if r.metric == "lmd"}
    assert lmd["original"] is not None and lmd["corrupted"] is not None and lmd["original"] != lmd["corrupted"]
    stored = json.loads((outcome.run_dir / "metrics.json").read_text())
    assert set(stored["conditions"]) == {"original", "corrupted"}
    assert (outcome.run_dir / "render-corrupted.mp4").is_file() and (outcome.run_dir / "frames-original.png").is_file()
    header = (outcome.run_dir / "per_frame.csv").read_text().splitlines()[0]
    assert "original:lmd" in header and "corrupted:lmd" in header
    # a rerun reuses both renders and every stored value
    [again] = run_jobs([JobSpec(method="retrieval", dataset="synthetic-portrait", task="lipsync")], store)
    prov = json.loads((again.run_dir / "provenance.json").read_text())
    assert prov["cached_stages"]["render:original"] and prov["cached_stages"]["render:corrupted"]
