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
    directory = Path(run_dir)
    if not directory.is_dir():
        raise BenchError(f"{directory}: the run directory is gone (bench store verify lists such runs)")
    try:
        if (directory / "MANIFEST.json").exists():
            verify_manifest(directory)
        if (directory / PER_UTTERANCE).exists():
            return _utterances(directory / PER_UTTERANCE, condition, metric)
        return _frames(directory, condition, metric)
    except DamagedEntry as exc:
        raise BenchError(f"stored values are damaged: {exc}") from None
    except READ_ERRORS as exc:
        raise BenchError(f"{directory}: unreadable stored values ({type(exc).__name__}: {exc})") from None


def _frames(directory: Path, condition: str, metric: str) -> np.ndarray:
    from talkbench.harness.stages import read_per_frame

    columns = read_per_frame(directory / PER_FRAME)
    several = "conditions" in json.loads((directory / "metrics.json").read_text())
    key = f"{condition}:{metric}" if several else metric
    if key not in columns:
        raise BenchError(f"{directory / PER_FRAME}: no per-frame values of {metric} ({condition}); the metric gives one "
                         "value per clip (e.g. LSE) or was unavailable")
    return columns[key]


def _utterances(path: Path, condition: str, metric: str) -> np.ndarray:
    import pandas as pd

    from talkbench.datasets.speech_set import condition_label

    table = pd.read_csv(path, float_precision="round_trip")
    if metric not in table.columns:
        raise BenchError(f"{path}: no per-utterance values of {metric}")
    if condition != "all":
        table = table[[condition_label(s) == condition if pd.notna(s) else False for s in table["snr_db"]]]
    return table[metric].to_numpy(dtype=np.float64)
