"""Shared fixtures: a temporary BENCH_HOME and small dataset cards so tests stay fast."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def write_card(path: Path, data: dict) -> None:
    """Write a (flat + one level of tables) card dict as TOML."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(f"\n[{key}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def bench_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty $BENCH_HOME."""
    home = tmp_path / "bench_home"
    monkeypatch.setenv("BENCH_HOME", str(home))
    return home


@pytest.fixture
def tiny_cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bench_home: Path) -> Path:
    """The shipped cards, the synthetic ones made small for speed (5 s at 64 px; 4 noisy utterances)."""
    import talkbench.datasets.cards as cards

    directory = tmp_path / "cards"
    directory.mkdir()
    for path in sorted((REPO / "datasets").glob("*.toml")):
        data = tomllib.loads(path.read_text())
        if data.get("kind") == "synthetic":
            data["generator"]["seconds"] = 5.0
            data["resolution"]["smoke"] = 64
        if data.get("kind") == "speech-synthetic":
            data["generator"].update(snr_db=[2.5, 17.5], noise_types=["white", "babble"], per_condition={"smoke": 1, "paper": 1})
        write_card(directory / path.name, data)
    monkeypatch.setenv("BENCH_CARDS", str(directory))
    monkeypatch.setattr(cards, "_CARDS", None)
    yield directory
    cards._CARDS = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`gpu` tests skip without CUDA and `needs_weights` tests without their installed files, each saying why."""
    gpu_items = [i for i in items if i.get_closest_marker("gpu")]
    if gpu_items:
        import torch

        if not torch.cuda.is_available():
            for item in gpu_items:
                item.add_marker(pytest.mark.skip(reason="gpu: needs a CUDA device (run on a GPU machine: pytest -m gpu)"))
    for item in items:
        marker = item.get_closest_marker("needs_weights")
        if marker is None:
            continue
        from talkbench.infra import weights

        missing = [name for name in marker.args if weights.status(name)[0] != "installed"]
        if missing:
            hints = "; ".join(weights.get_entry(name).install_hint() for name in missing)
            item.add_marker(pytest.mark.skip(reason=f"needs_weights: {', '.join(missing)} not installed ({hints})"))
