"""The `wav2vec` extractor (weights `wav2vec2_xlsr53_esperanto`, cpierse/wav2vec2-large-xlsr-53-esperanto).

RAD-NeRF ``nerf/asr.py`` / ER-NeRF ``data_utils/wav2vec.py --save_feats`` (aud_eo.npy): the
audio is streamed in 20 ms pieces of 320 samples after 10 pieces of silence; whenever
10 + 50 + 10 pieces are held, the Wav2Vec2 feature extractor (normalising that 1.4 s segment on
its own) and `Wav2Vec2ForCTC` run on them and the logits of rows 10 to n - 10 (of n rows) are
kept, then the last 20 pieces carried over; at the end the pieces held run once more, keeping
rows from 10 on. The logits (44 for the Esperanto vocabulary) at 50 rows per second are cut
into windows of 16 rows every 2 rows, zero-padded by 8 rows at both ends (`F.unfold` with
stride 2): [M // 2 + 1, 16, C], fed transposed, [T, C, 16].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from talkbench.audio_features.base import WINDOW_ROWS, AudioExtractor, strided_windows
from talkbench.core.types import SAMPLE_RATE
from talkbench.zoo.wav2vec import WAV2VEC2_XLSR53_ESPERANTO, load_wav2vec

W2V_PIECE = 320
"""Samples per streamed piece (20 ms at 16 kHz, the reference's 50 fps audio frames)."""
W2V_LEFT, W2V_MIDDLE, W2V_RIGHT = 10, 50, 10
"""Pieces of left context, kept output and right context per forward pass (the references' -l -m -r)."""
W2V_BATCH = 8
"""Full 1.4 s segments per forward pass (the same inputs as one at a time, batched for speed)."""


def w2v_segments(audio: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    """The streamed segments the reference feeds its CTC model: (samples, is_last) in order."""
    held = [np.zeros(W2V_PIECE, np.float32)] * W2V_LEFT
    segments = []
    for start in range(0, len(audio), W2V_PIECE):
        held.append(audio[start:start + W2V_PIECE])  # the last piece may be short
        if len(held) == W2V_LEFT + W2V_MIDDLE + W2V_RIGHT:
            segments.append((np.concatenate(held), False))
            held = held[-(W2V_LEFT + W2V_RIGHT):]
    segments.append((np.concatenate(held), True))
    return segments


def _wav2vec_windows(extractor: AudioExtractor, audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """aud_eo.npy of the module docstring: [M // 2 + 1, 16, C]."""
    import torch

    fe, model = load_wav2vec(path, digest, device)
    segments = w2v_segments(audio)
    full = [s for s, last in segments if not last]
    kept: list[np.ndarray] = []

    def logits_of(batch: list[np.ndarray]) -> np.ndarray:
        """CTC logits [B, n, C] of equal-length segments, each normalised on its own by the feature extractor."""
        values = fe(batch, sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True).input_values.to(device)
        with torch.no_grad():
            return model(values).logits.float().cpu().numpy()

    for s in range(0, len(full), W2V_BATCH):  # equal-length segments: batching pads nothing
        for logits in logits_of(full[s:s + W2V_BATCH]):
            n = logits.shape[0]
            kept.append(logits[W2V_LEFT:min(n, n - W2V_RIGHT + 1)])
    last = logits_of([segments[-1][0]])[0]
    kept.append(last[W2V_LEFT:])
    rows = np.concatenate(kept).astype(np.float32)
    return strided_windows(rows)


WAV2VEC = AudioExtractor(
    name="wav2vec", weights=WAV2VEC2_XLSR53_ESPERANTO.name, window=WINDOW_ROWS, normalised=False,
    dims_key="vocab_size", run=_wav2vec_windows,
    protocol="RAD-NeRF nerf/asr.py --save_feats: Wav2Vec2ForCTC logits streamed with l/m/r = 10/50/10 x 20 ms, "
             "windows of 16 rows every 2 (aud_eo.npy)",
)
