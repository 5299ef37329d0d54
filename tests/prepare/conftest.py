"""Fixtures of the preparation tests: the synthetic portrait as a small video-like clip with exact ground truth."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.prepare import SECONDS, SIZE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def portrait():
    """The synthetic portrait, 2 s at 128 px (50 frames): a face mediapipe finds, with exact ground truth."""
    from talkbench.datasets import synthetic

    card = tomllib.loads((REPO / "datasets" / "synthetic-portrait.toml").read_text())
    card["generator"]["seconds"] = SECONDS
    return synthetic.generate_portrait(card, SIZE)
