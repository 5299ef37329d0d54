"""The `hubert` extractor (`talkbench.audio_features.hubert`) against a reference written here from ER-NeRF's data_utils/hubert.py.

The model is random and small (hidden size 32, two layers), saved with `save_pretrained` and installed through the
weights registry like the real snapshot; the reference calls transformers directly, one forward pass at a time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench import audio_features as ae
from talkbench.core.types import SAMPLE_RATE
from talkbench.infra import weights
from tests.audio_features import frames_for as _frames
from tests.audio_features import per_frame as _per_frame
from tests.audio_features import speech as _speech
from tests.kit.weights import HUBERT
from tests.kit.weights import transformers_module as _transformers


def _hubert_reference(directory: Path, audio: np.ndarray) -> np.ndarray:
    tf = _transformers()
    fe = tf.Wav2Vec2FeatureExtractor.from_pretrained(str(directory), local_files_only=True)
    model = tf.HubertModel.from_pretrained(str(directory), local_files_only=True).eval()
    x = fe(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_values
    n = x.shape[1]
    # pieces of 1000 rows: 320 000 samples each plus the 80 the 400-sample receptive field reads past the hop
    starts = list(range(0, n - n % 320_000, 320_000))
    pieces = [x[:, s:s + 320_080] for s in starts] + ([x[:, len(starts) * 320_000:]] if n - len(starts) * 320_000 >= 400 else [])
    with torch.no_grad():
        rows = torch.cat([model(p).last_hidden_state[0] for p in pieces]).numpy()
    rows = rows[: (n - 80) // 320]
    rows = rows[: len(rows) // 2 * 2]
    return rows.reshape(-1, 2, rows.shape[1])  # aud_hu.npy


@pytest.mark.parametrize("seconds, extra", [(0.0, 100), (1.3, 1), (3.0, 7), (20.5, 3)])
def test_hubert_follows_the_official_protocol(installed: dict[str, Path], seconds: float, extra: int) -> None:
    audio = _speech(seconds, extra)
    t = _frames(audio)
    windows, info = ae.extract("hubert", audio, t, 25.0)
    assert windows.dtype == np.float32 and windows.shape == (t, 32, 2)
    assert info["name"] == "hubert" and info["dims"] == 32 and info["window"] == 2
    assert info["weights"] == HUBERT and info["weights_sha256"] == weights.verified(HUBERT)[1]
    if len(audio) < 720:  # no pair of 50 Hz rows: zero features, as the references pad missing ones
        assert not windows.any()
        return
    reference = _hubert_reference(installed["hubert"], audio)
    assert abs(len(reference) - t) <= 1
    np.testing.assert_allclose(windows, _per_frame(reference, t), atol=1e-5, rtol=0)
