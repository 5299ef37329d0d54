"""DeepSpeech 0.1.0 (`talkbench.zoo.deepspeech`): the optional TensorFlow, and the graph refused when it is not the frozen graph."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from talkbench.core.errors import WeightsMissing
from talkbench.infra import weights
from talkbench.zoo.deepspeech import TENSORFLOW_PIN, load_deepspeech, tensorflow_missing


def test_tensorflow_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    reason = tensorflow_missing()
    assert "pip install 'talkbench[deepspeech]'" in reason and TENSORFLOW_PIN in reason
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "tensorflow" else real(name, *a))
    assert tensorflow_missing() == ""


def test_a_file_that_is_not_the_graph_is_refused(bench_home: Path, tmp_path: Path) -> None:
    pytest.importorskip("tensorflow", reason="the deepspeech extra (tensorflow-cpu) is not installed")
    bad = tmp_path / "deepspeech-0_1_0-b90017e8.pb"
    bad.write_bytes(b"\x00" * 64)
    weights.install("deepspeech_0_1_0", str(bad))
    with pytest.raises(WeightsMissing, match="not the DeepSpeech 0.1.0 frozen graph.*bench weights install deepspeech_0_1_0"):
        load_deepspeech(*weights.verified("deepspeech_0_1_0"))
