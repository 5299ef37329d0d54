"""Paper claims as data (`reports/claims/*.json`) and their comparison with measured values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.infra.resources import resource_files


@dataclass
class Claim:
    """One published table of one paper."""

    paper: str
    table: str
    task: str
    dataset: str
    condition: str
    metrics: list[str]
    rows: list[dict[str, Any]]
    source: str
    path: Path
    measured_on: list[str] | None = None
    """talkbench datasets whose tables are shown beside this claim (None: every dataset of the task)."""


def load_claims(task: str | None = None) -> list[Claim]:
    """All claim files (optionally of one task), each validated."""
    out = []
    for path in resource_files("claims", ".json"):
        try:
            data = json.loads(path.read_text())
            claim = Claim(data["paper"], data["table"], data["task"], data["dataset"], data.get("condition", "all"),
                          list(data["metrics"]), list(data["rows"]), data.get("source", ""), path,
                          list(data["measured_on"]) if "measured_on" in data else None)
        except (json.JSONDecodeError, KeyError) as exc:
            raise BenchError(f"{path}: invalid claims file ({exc})") from exc
        if task is None or claim.task == task:
            out.append(claim)
    return out


@dataclass
class ClaimComparison:
    """A claimed row beside the measured values of the method it maps to (if any)."""

    claim: Claim
    label: str
    method: str | None
    claimed: dict[str, float]
    measured: dict[str, float | None]


def compare_claims(claim: Claim, measured: dict[str, dict[str, float | None]]) -> list[ClaimComparison]:
    """Pair each claimed row with `measured[method][metric]` of the talkbench method it maps to."""
    out = []
    for row in claim.rows:
        method = row.get("maps_to")
        values = measured.get(method, {}) if method else {}
        out.append(ClaimComparison(claim, row["method"], method, {k: float(v) for k, v in row["values"].items()},
                                   {m: values.get(m) for m in claim.metrics}))
    return out
