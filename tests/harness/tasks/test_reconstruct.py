"""The reconstruct task (harness/tasks/reconstruct.py): the wild variant is scored against its clean frames."""

from __future__ import annotations

import math
from pathlib import Path

from talkbench.harness.driver import run_jobs
from talkbench.harness.jobs import JobSpec
from talkbench.harness.store import Store


def test_wild_variant_is_scored_against_clean_frames(tiny_cards: Path) -> None:
    store = Store()
    (outcome,) = run_jobs([JobSpec(method="oracle", dataset="synthetic-portrait-wild", profile="smoke")], store)
    assert outcome.status == "complete", outcome.message
    assert math.isinf(outcome.metrics["psnr"].value)  # the oracle returns the clean frames the metrics compare to
    assert outcome.metrics["psnr"].details["reference"].startswith("occluder-free")
