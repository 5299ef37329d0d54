"""The metrics as a package: every registered metric agrees with its reference implementation (`tests/kit/metric_reference.py`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from talkbench.core.registries import METRICS
from tests.kit import metric_reference as kit

TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("case", kit.CASES, ids=[c.id for c in kit.CASES])
def test_metric_matches_its_reference(case: kit.ReferenceCase) -> None:
    kit.check_case(case)


def test_every_registered_metric_has_a_reference_check() -> None:
    """A new metric without a reference check fails here: add a ReferenceCase, or name the test that does it."""
    in_kit = {c.metric for c in kit.CASES}
    sources = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    for name, test in kit.REFERENCE_TESTS.items():
        assert re.search(rf"^def {test}\(", sources, re.M), f"{name}: its reference test {test} does not exist"
    missing = sorted(set(METRICS.names()) - in_kit - set(kit.REFERENCE_TESTS))
    assert not missing, f"metrics without a reference check: {missing}"
