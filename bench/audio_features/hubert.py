"""The `hubert` extractor (weights `hubert_large_ls960_ft`, the snapshot of facebook/hubert-large-ls960-ft).

ER-NeRF / SyncTalk ``data_utils/hubert.py`` (aud_hu.npy): the Wav2Vec2 feature extractor of the
snapshot (zero mean, unit variance over the whole clip) then `HubertModel`'s last hidden state
(1024-d for the large model) at 50 rows per second. Long audio runs in pieces of 1000 rows
(320 000 samples plus the 80 that the 400-sample receptive field needs beyond the 320-sample
stride), the remainder only when it is at least 400 samples; the rows are cut or zero-padded
to (samples - 80) // 320, an odd count loses its last row, and pairs of rows make one window
per 25 fps frame: [N, 2, D], fed transposed, [T, D, 2] (the references' AudioNet crops
windows to 16 rows and its four stride-2 convolutions bring 2 rows to 1 as well).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from talkbench.audio_features.base import AudioExtractor
from talkbench.core.types import SAMPLE_RATE
from talkbench.zoo.hubert import HUBERT_LARGE_LS960_FT, KERNEL as HUBERT_KERNEL, STRIDE as HUBERT_STRIDE, load_hubert

HUBERT_PIECE_ROWS = 1000
"""Rows per forward pass on long audio (the reference's memory-bounded pieces)."""


def _hubert_windows(extractor: AudioExtractor, audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """aud_hu.npy of the module docstring: [N, 2, D]."""
    import torch

    fe, model = load_hubert(path, digest, device)
    values = fe(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_values.to(device)  # [1, L]
    length = values.shape[1]
    expected = max(0, (length - (HUBERT_KERNEL - HUBERT_STRIDE)) // HUBERT_STRIDE)
    piece = HUBERT_STRIDE * HUBERT_PIECE_ROWS
    full = length // piece
    spans = [(i * piece, i * piece + piece - HUBERT_STRIDE + HUBERT_KERNEL) for i in range(full)]
    if length - full * piece >= HUBERT_KERNEL:  # a remainder shorter than the receptive field gives no row
        spans.append((full * piece, length))
    dims = int(model.config.hidden_size)
    with torch.no_grad():
        parts = [model(values[:, a:b]).last_hidden_state[0] for a, b in spans]
    hidden = torch.cat(parts).float().cpu().numpy() if parts else np.zeros((0, dims), np.float32)
    if len(hidden) < expected:
        hidden = np.concatenate([hidden, np.zeros((expected - len(hidden), dims), np.float32)])
    hidden = hidden[:expected]
    hidden = hidden[: len(hidden) - len(hidden) % 2]
    return hidden.reshape(-1, 2, dims)


HUBERT = AudioExtractor(
    name="hubert", weights=HUBERT_LARGE_LS960_FT.name, window=2, normalised=False,
    dims_key="hidden_size", run=_hubert_windows,
    protocol="ER-NeRF/SyncTalk data_utils/hubert.py: HubertModel last_hidden_state at 50 Hz, pieces of 1000 rows, "
             "2 rows per 25 fps frame (aud_hu.npy)",
)
