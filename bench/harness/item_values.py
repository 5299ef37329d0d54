"""Per-item values (frames, utterances) of a stored execution, read back for paired comparisons (`bench compare`,
ablation deltas): per_frame.csv of the video tasks, per_utterance.csv of the enhance task, checked against the run
directory's manifest first."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.infra.cache_entry import READ_ERRORS, DamagedEntry, verify_manifest

PER_FRAME, PER_UTTERANCE = "per_frame.csv", "per_utterance.csv"


def item_values(run_dir: Path | str, condition: str, metric: str) -> np.ndarray:
    """The per-item values of `metric` under `condition` in an execution directory (NaN where an item has none);
    BenchError naming the directory when they are absent, damaged or unreadable."""
    from talkbench.harness.results_json import condition_items, item_table

    directory = Path(run_dir)
    if not directory.is_dir():
        raise BenchError(f"{directory}: the run directory is gone (bench store verify lists such runs)")
    try:
        if (directory / "MANIFEST.json").exists():
            verify_manifest(directory)
        kind, table = item_table(directory)
        several = kind == "frame" and "conditions" in json.loads((directory / "metrics.json").read_text())
        values = condition_items(table, kind, condition, metric, several)
    except DamagedEntry as exc:
        raise BenchError(f"stored values are damaged: {exc}") from None
    except READ_ERRORS as exc:
        raise BenchError(f"{directory}: unreadable stored values ({type(exc).__name__}: {exc})") from None
    if values is not None:
        return values
    if kind == "utterance":
        raise BenchError(f"{directory / PER_UTTERANCE}: no per-utterance values of {metric}")
    raise BenchError(f"{directory / PER_FRAME}: no per-frame values of {metric} ({condition}); the metric gives one "
                     "value per clip (e.g. LSE) or was unavailable")
