"""Job specs and records as JSON text, the only thing that crosses a process, node or cluster boundary.

Executors hand workers JSON and get JSON back rather than pickled objects: a job folder on a shared filesystem then
holds nothing a reader would execute, and the record a worker returns is exactly what the driver stores. The
encoding is lossless for what the index keeps: floats travel as their shortest repr (inf and NaN included),
`details` pass through `json.dumps(default=str)` as the store itself writes them, per-item values as float lists.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core.metric import MetricResult
from talkbench.harness.jobs import JobRecord, JobSpec
from talkbench.harness.store import ResultRow

WIRE_VERSION = 1
"""Bumped when the encoding changes: a worker refuses a job encoded by another version."""


def spec_to_dict(spec: JobSpec) -> dict[str, Any]:
    """A spec as plain JSON types."""
    data = {f.name: getattr(spec, f.name) for f in fields(spec)}
    data["out"] = str(spec.out) if spec.out is not None else None
    data["metrics"] = list(spec.metrics) if spec.metrics is not None else None
    return data


def spec_from_dict(data: dict[str, Any]) -> JobSpec:
    """The inverse of `spec_to_dict`."""
    data = dict(data)
    data["out"] = Path(data["out"]) if data.get("out") else None
    data["metrics"] = tuple(data["metrics"]) if data.get("metrics") is not None else None
    return JobSpec(**data)


def _metric_to_dict(res: MetricResult) -> dict[str, Any]:
    per_item = None if res.per_item is None else np.asarray(res.per_item, dtype=np.float64).tolist()
    return {"name": res.name, "value": res.value, "per_item": per_item, "unavailable_reason": res.unavailable_reason,
            "details": res.details}


def _metric_from_dict(data: dict[str, Any]) -> MetricResult:
    per_item = None if data["per_item"] is None else np.asarray(data["per_item"], dtype=np.float64)
    return MetricResult(name=data["name"], value=data["value"], per_item=per_item,
                        unavailable_reason=data["unavailable_reason"], details=data["details"])


def encode_spec(spec: JobSpec) -> str:
    """A job spec as JSON text."""
    return json.dumps({"wire": WIRE_VERSION, "spec": spec_to_dict(spec)})


def decode_spec(text: str) -> JobSpec:
    """The spec of `encode_spec` text."""
    data = json.loads(text)
    _check_version(data)
    return spec_from_dict(data["spec"])


def encode_record(rec: JobRecord) -> str:
    """A job record as JSON text (what a worker sends back)."""
    data = {
        "wire": WIRE_VERSION,
        "spec": spec_to_dict(rec.spec),
        "status": rec.status,
        "message": rec.message,
        "run_dir": str(rec.run_dir) if rec.run_dir is not None else None,
        "metrics": {name: _metric_to_dict(res) for name, res in rec.metrics.items()},
        "timings": rec.timings,
        "rows": [asdict(row) for row in rec.rows],
        "provenance": rec.provenance,
        "run_fields": rec.run_fields,
    }
    return json.dumps(data, default=str)


def decode_record(text: str) -> JobRecord:
    """The record of `encode_record` text."""
    data = json.loads(text)
    _check_version(data)
    return JobRecord(
        spec=spec_from_dict(data["spec"]), status=data["status"], message=data["message"],
        run_dir=Path(data["run_dir"]) if data["run_dir"] else None,
        metrics={name: _metric_from_dict(m) for name, m in data["metrics"].items()},
        timings=data["timings"], rows=[ResultRow(**row) for row in data["rows"]],
        provenance=data["provenance"], run_fields=data["run_fields"],
    )


def _check_version(data: dict[str, Any]) -> None:
    if data.get("wire") != WIRE_VERSION:
        raise ValueError(f"job encoded with wire version {data.get('wire')!r}; this talkbench reads {WIRE_VERSION} "
                         "(the driver and the workers must run the same talkbench)")
