"""The `wav2vec` extractor (`talkbench.audio_features.wav2vec`) against a reference written here from RAD-NeRF's nerf/asr.py.

The model is a random, small Wav2Vec2ForCTC over the Esperanto vocabulary's 44 symbols; the reference streams the
audio piece by piece and calls transformers directly, one forward pass per segment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench import audio_features as ae
from talkbench.core.types import SAMPLE_RATE
from tests.audio_features import frames_for as _frames
from tests.audio_features import per_frame as _per_frame
from tests.audio_features import speech as _speech
from tests.kit.weights import transformers_module as _transformers


def _wav2vec_reference(directory: Path, audio: np.ndarray) -> np.ndarray:
    tf = _transformers()
    fe = tf.Wav2Vec2FeatureExtractor.from_pretrained(str(directory), local_files_only=True)
    model = tf.AutoModelForCTC.from_pretrained(str(directory), local_files_only=True).eval()
    held, out, pos = [np.zeros(320, np.float32)] * 10, [], 0
    while True:  # the reference's file stream: one 20 ms piece per step, a forward pass per 70 pieces held
        last = pos >= len(audio)
        if not last:
            held.append(audio[pos:pos + 320])
            pos += 320
            if len(held) < 70:
                continue
        segment = np.concatenate(held)
        if not last:
            held = held[-20:]
        with torch.no_grad():
            logits = model(fe(segment, sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True).input_values).logits[0]
        out.append(logits[10:] if last else logits[10:min(len(logits), len(logits) - 9)])
        if last:
            break
    feats = torch.cat(out)  # [M, C]
    c = feats.shape[1]
    if len(feats) == 0:  # 20 ms of audio or less: no logits row (F.unfold refuses it); the features are zeros
        return np.zeros((1, 16, c), np.float32)
    unfolded = torch.nn.functional.unfold(feats.T.reshape(1, c, -1, 1), kernel_size=(16, 1), padding=(8, 0), stride=(2, 1))
    return unfolded.reshape(c, 16, -1).permute(2, 1, 0).numpy()  # aud_eo.npy [M // 2 + 1, 16, C]


@pytest.mark.parametrize("seconds, extra", [(0.0, 100), (0.9, 3), (1.2, 0), (3.1, 5)])
def test_wav2vec_follows_the_official_protocol(installed: dict[str, Path], seconds: float, extra: int) -> None:
    audio = _speech(seconds, extra, seed=1)  # 1.2 s = 60 pieces: the stream ends right after a full segment
    t = _frames(audio)
    windows, info = ae.extract("wav2vec", audio, t, 25.0)
    assert windows.dtype == np.float32 and windows.shape == (t, 44, 16)
    assert info["dims"] == 44 and info["window"] == 16 and info["normalised"].startswith("none")
    reference = _wav2vec_reference(installed["wav2vec"], audio)
    np.testing.assert_allclose(windows, _per_frame(reference, t), atol=1e-5, rtol=0)
