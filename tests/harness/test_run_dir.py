"""Run directories (harness/run_dir.py): training curves drawn into the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.harness.driver import run_jobs
from talkbench.harness.store import Store
from tests.kit.jobs import spec

pytestmark = pytest.mark.slow


def test_training_curves_are_drawn_in_the_report(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.core.registries import METHODS
    from talkbench.core.types import Checkpoint
    from talkbench.methods.baselines.static import Static

    class CurvedStatic(Static):
        """`static` that also writes a training curve, like the learned methods do."""

        name = "curved-static"

        def train(self, train_clip, workdir, seed):  # type: ignore[no-untyped-def]
            checkpoint = super().train(train_clip, workdir, seed)
            (workdir / "curves.csv").write_text("stage,step,loss,psnr\nhead,0,0.5,10\nhead,10,0.1,17\ntorso,0,0.2,15\n")
            return Checkpoint(path=checkpoint.path, meta={**checkpoint.meta, "curves": "curves.csv"})

    monkeypatch.setitem(METHODS._objects, "curved-static", CurvedStatic)
    (outcome,) = run_jobs([spec("curved-static", metrics=("psnr",))], Store())
    assert outcome.status == "complete", outcome.message
    assert (outcome.run_dir / "curves.png").stat().st_size > 1000
    assert "![training curves](curves.png)" in (outcome.run_dir / "report.md").read_text()
