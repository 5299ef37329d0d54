"""Every registered method through the method-contract kit (`tests/kit/method_contract.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from talkbench.core.method import Enhancer, Method
from talkbench.core.registries import METHODS
from tests.kit import method_contract as kit

VIDEO = [n for n in METHODS.names() if issubclass(METHODS.get(n), Method)]
ENHANCERS = [n for n in METHODS.names() if issubclass(METHODS.get(n), Enhancer)]


@pytest.fixture
def one_thread():
    """One CPU thread: multi-threaded float reductions may sum in another order run to run."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_clip(tiny_cards):
    """The 5 s, 64 px synthetic portrait (113 training frames, 12 test frames)."""
    from talkbench.datasets.cards import load_dataset

    return load_dataset("synthetic-portrait", "smoke")


def test_the_registry_has_both_kinds() -> None:
    assert {"er-nerf", "rad-nerf", "synctalk", "wildtalker", "static", "retrieval", "oracle"} <= set(VIDEO)
    assert {"mss", "specsub", "wiener", "noisereduce", "passthrough"} <= set(ENHANCERS)
    assert set(VIDEO) | set(ENHANCERS) == set(METHODS.names())


@pytest.mark.parametrize("name", METHODS.names())
def test_documented_config(name: str) -> None:
    kit.check_documented_config(METHODS.get(name))


@pytest.mark.parametrize("name", VIDEO)
def test_train_render_determinism_round_trip(name: str, tiny_clip, tmp_path: Path, one_thread) -> None:
    kit.check_train_render(METHODS.get(name), tiny_clip, tmp_path)


@pytest.mark.parametrize("name", VIDEO)
def test_refuses_missing_annotations(name: str, tiny_clip, tmp_path: Path) -> None:
    kit.check_refuses_missing_annotations(METHODS.get(name), tiny_clip, tmp_path)


@pytest.mark.parametrize("name", ENHANCERS)
def test_enhancer_contract(name: str) -> None:
    kit.check_enhancer(METHODS.get(name))
