"""Mozilla DeepSpeech 0.1.0 (Hannun et al. 2014) as AD-NeRF runs it: the frozen TensorFlow graph's weights entry and
the graph loaded into a session. User: the `deepspeech` audio features (`talkbench.audio_features.deepspeech`).

The graph takes `input_node` [1, n, 494] (26 MFCCs with 9 rows of context either side) and `input_lengths`
[1], and gives `logits` [n, 1, 29]. TensorFlow is an optional extra: tensorflow-cpu 2.19.1 resolves together
with the pins that mediapipe 0.10.21 needs (numpy 1.26.4, protobuf 4.25.9 < 5, ml_dtypes 0.5.4).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from talkbench.core.errors import WeightsMissing
from talkbench.infra import weights
from talkbench.infra.weights import UNPUBLISHED, WeightsEntry
from talkbench.zoo.cache import cached_one

DEEPSPEECH_0_1_0 = WeightsEntry(
    name="deepspeech_0_1_0",
    filename="deepspeech-0_1_0-b90017e8.pb",
    sha256=UNPUBLISHED,
    url="https://github.com/osmr/deepspeech_features/releases/download/v0.0.1/deepspeech-0_1_0-b90017e8.pb.zip",
    licence="MPL-2.0 (Mozilla DeepSpeech 0.1.0 frozen graph, as repackaged by osmr/deepspeech_features)",
    used_by="NeRF audio features `deepspeech` (AD-NeRF / ER-NeRF / RAD-NeRF aud_ds.npy; needs talkbench[deepspeech])",
    note="download https://github.com/osmr/deepspeech_features/releases/download/v0.0.1/deepspeech-0_1_0-b90017e8.pb.zip "
         "and unzip it (its publisher gives sha1 b90017e816572ddce84f5843f1fa21e6a377975e, no sha256)",
    format="tf-graph",
)

NUM_CEPSTRUM, NUM_CONTEXT, LOGITS = 26, 9, 29
"""DeepSpeech 0.1.0 input: 26 MFCCs with 9 rows of context either side; output: 29 logits."""

TENSORFLOW_PIN = "tensorflow-cpu==2.19.1"
"""The TensorFlow the `deepspeech` extra installs (checked to resolve with mediapipe's numpy/protobuf pins)."""


def tensorflow_missing() -> str:
    """Why the graph cannot run here (TensorFlow not installed, with the install command), or "" when it can."""
    if importlib.util.find_spec("tensorflow") is None:
        return (f"the deepspeech audio features run the DeepSpeech 0.1.0 TensorFlow graph and TensorFlow is not installed; "
                f"install it with: pip install 'talkbench[deepspeech]' ({TENSORFLOW_PIN}), or prepare the clip with "
                "--audio-features aud_ds.npy made elsewhere")
    return ""


def load_deepspeech(path: Path, digest: str) -> tuple[Any, Any, Any, Any]:
    """(session, logits, input_node, input_lengths tensors) of the installed graph at `path`, kept per process."""

    def load() -> tuple[Any, Any, Any, Any]:
        """Parse the graph into a fresh session (once per file: the cache calls this on a miss)."""
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ start-up chatter, not errors
        import tensorflow as tf

        try:
            graph_def = tf.compat.v1.GraphDef()
            graph_def.ParseFromString(path.read_bytes())
            graph = tf.Graph()
            with graph.as_default():
                tf.import_graph_def(graph_def, name="deepspeech")
            tensors = [graph.get_tensor_by_name(f"deepspeech/{n}:0") for n in ("logits", "input_node", "input_lengths")]
        except Exception as exc:  # noqa: BLE001 - a wrong or corrupt graph fails in many ways
            raise WeightsMissing(f"{path}: not the DeepSpeech 0.1.0 frozen graph ({type(exc).__name__}: "
                                 f"{str(exc).strip()[:160]}); reinstall with: "
                                 f"{weights.get_entry(DEEPSPEECH_0_1_0.name).install_hint()}") from exc
        return tf.compat.v1.Session(graph=graph), *tensors

    return cached_one((DEEPSPEECH_0_1_0.name, str(path), digest, "cpu"), load)
