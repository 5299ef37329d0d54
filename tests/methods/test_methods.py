"""The methods as a package: every registered method through the method-contract kit (`tests/kit/method_contract.py`);
the `tiny_clip` and `one_thread` fixtures are in tests/methods/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.core.method import Enhancer, Method
from talkbench.core.registries import METHODS
from tests.kit import method_contract as kit

VIDEO = [n for n in METHODS.names() if issubclass(METHODS.get(n), Method)]
ENHANCERS = [n for n in METHODS.names() if issubclass(METHODS.get(n), Enhancer)]


def _train_param(name: str):
    """Methods the kit trains with its `tiny` profile (the NeRFs: seconds each on CPU) are `slow`; the baselines are not."""
    return pytest.param(name, marks=pytest.mark.slow) if kit.CONTRACT_PROFILE in METHODS.get(name).profiles else name


def test_the_registry_has_both_kinds() -> None:
    assert {"er-nerf", "rad-nerf", "synctalk", "wildtalker", "static", "retrieval", "oracle"} <= set(VIDEO)
    assert {"mss", "specsub", "wiener", "noisereduce", "passthrough"} <= set(ENHANCERS)
    assert set(VIDEO) | set(ENHANCERS) == set(METHODS.names())


@pytest.mark.parametrize("name", METHODS.names())
def test_documented_config(name: str) -> None:
    kit.check_documented_config(METHODS.get(name))


@pytest.mark.parametrize("name", [_train_param(n) for n in VIDEO])
def test_train_render_determinism_round_trip(name: str, tiny_clip, tmp_path: Path, one_thread) -> None:
    kit.check_train_render(METHODS.get(name), tiny_clip, tmp_path)


@pytest.mark.parametrize("name", VIDEO)
def test_refuses_missing_annotations(name: str, tiny_clip, tmp_path: Path) -> None:
    kit.check_refuses_missing_annotations(METHODS.get(name), tiny_clip, tmp_path)


@pytest.mark.parametrize("name", ENHANCERS)
def test_enhancer_contract(name: str) -> None:
    kit.check_enhancer(METHODS.get(name))
