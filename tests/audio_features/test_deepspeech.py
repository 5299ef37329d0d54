"""The `deepspeech` extractor (`talkbench.audio_features.deepspeech`): AD-NeRF's protocol on a stand-in graph; missing TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench import audio_features as ae
from talkbench.core.errors import BenchError
from talkbench.core.types import SAMPLE_RATE
from talkbench.infra import weights
from tests.audio_features import frames_for as _frames
from tests.audio_features import per_frame as _per_frame
from tests.audio_features import speech as _speech
from tests.kit.weights import DS


def test_deepspeech_without_tensorflow_says_how_to_install(bench_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    graph = tmp_path / "deepspeech-0_1_0-b90017e8.pb"
    graph.write_bytes(b"\x00" * 64)
    weights.install(DS, str(graph))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    with pytest.raises(BenchError, match=r"pip install 'talkbench\[deepspeech\]'"):
        ae.require("deepspeech")


def test_deepspeech_follows_the_official_protocol(bench_home: Path, tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow", reason="the deepspeech extra (tensorflow-cpu) is not installed")
    from python_speech_features import mfcc

    # a stand-in for the frozen graph with DeepSpeech 0.1.0's tensor names: logits = input @ W, time-major
    w = np.random.default_rng(0).standard_normal((494, 29)).astype(np.float32) * 0.05
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, None, 494], name="input_node")
        tf.compat.v1.placeholder(tf.int32, [1], name="input_lengths")
        tf.identity(tf.expand_dims(tf.matmul(x[0], tf.constant(w)), 1), name="logits")
    pb = tmp_path / "deepspeech-0_1_0-b90017e8.pb"
    pb.write_bytes(graph.as_graph_def().SerializeToString())
    weights.install(DS, str(pb))
    for seconds, extra in ((1.0, 0), (2.3, 9)):
        audio = _speech(seconds, extra)
        t = _frames(audio)
        windows, info = ae.extract("deepspeech", audio, t, 25.0)
        assert windows.shape == (t, 29, 16) and info["dims"] == 29
        # the reference: int16 samples, 26 MFCCs, every second row, +-9 rows of context, standardised
        pcm = np.round(audio.astype(np.float64) * 32768).clip(-32768, 32767).astype(np.int16)
        cep = mfcc(pcm, samplerate=SAMPLE_RATE, numcep=26)[::2]
        ctx = np.vstack([np.zeros((9, 26)), cep, np.zeros((9, 26))])
        inputs = np.stack([ctx[i:i + 19].ravel() for i in range(len(cep))])
        inputs = (inputs - inputs.mean()) / inputs.std()
        logits = inputs.astype(np.float32) @ w
        rows = round(len(audio) / SAMPLE_RATE * 50)
        on_grid = np.stack([np.interp(np.arange(rows) / 50, np.arange(len(logits)) / 50, logits[:, k]) for k in range(29)], 1)
        on_grid = np.vstack([np.zeros((8, 29)), on_grid[:-1], np.zeros((8, 29))])
        reference = np.stack([on_grid[j:j + 16] for j in range(0, len(on_grid) - 16, 2)])  # aud_ds.npy
        np.testing.assert_allclose(windows, _per_frame(reference, t), atol=1e-4, rtol=0)
