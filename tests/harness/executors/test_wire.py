"""The JSON wire of the executors: what the driver stores from a decoded record equals what it stores locally."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.metric import MetricResult
from talkbench.harness.executors.wire import decode_record, decode_spec, encode_record, encode_spec
from talkbench.harness.jobs import JobRecord, JobSpec
from talkbench.harness.store import ResultRow


def _record() -> JobRecord:
    spec = JobSpec("retrieval", "synthetic-portrait", seed=3, overrides={"smooth": "2"}, metrics=("psnr", "lmd"),
                   out=Path("/tmp/out"), metric_options={"landmarks": None})
    details = {"items": np.int64(12), "scale": np.float32(0.5), "exact": 0.1 + 0.2, "variant": ("a", "b")}
    rows = [ResultRow(spec.run_id, "reconstruct", "retrieval", spec.variant, "synthetic-portrait", "smoke", 3, "original",
                      name, value, 12, None if value is not None else "no weights", True, False, details, "c0ffee",
                      "d474", 1.25)
            for name, value in (("psnr", math.inf), ("ssim", 0.1 + 0.2), ("lpips", None), ("odd", math.nan))]
    metrics = {"psnr": MetricResult("psnr", math.inf, per_item=np.array([1 / 3, math.inf], dtype=np.float32), details=details)}
    return JobRecord(spec, "complete", "", Path("/tmp/out/x"), metrics, {"train": 0.5}, rows,
                     {"git_sha": "abc", "packages": {"torch": "2.13.0"}}, {"task": "reconstruct", "job_key": "k"})


def test_a_record_round_trips_with_what_the_store_keeps() -> None:
    rec = _record()
    back = decode_record(encode_record(rec))
    assert back.spec == rec.spec and back.run_dir == rec.run_dir and back.run_fields == rec.run_fields
    for a, b in zip(rec.rows, back.rows):
        same_value = (a.value == b.value) or (a.value is not None and math.isnan(a.value) and math.isnan(b.value))
        assert same_value and type(b.value) in (float, type(None))
        # the store writes details with json.dumps(default=str): the same text either way
        assert json.dumps(a.details, default=str) == json.dumps(b.details, default=str)
    assert b.value is not None and math.isnan(b.value)
    per_item = back.metrics["psnr"].per_item
    assert per_item is not None and per_item.tolist() == rec.metrics["psnr"].per_item.astype(np.float64).tolist()  # type: ignore[union-attr]


def test_a_spec_round_trips() -> None:
    spec = _record().spec
    assert decode_spec(encode_spec(spec)) == spec
    assert decode_spec(encode_spec(JobSpec("static", "d"))) == JobSpec("static", "d")


def test_another_wire_version_is_refused_with_the_reason() -> None:
    text = json.dumps({**json.loads(encode_spec(JobSpec("static", "d"))), "wire": 0})
    with pytest.raises(ValueError, match="wire version 0.*driver and the workers must run the same talkbench"):
        decode_spec(text)
