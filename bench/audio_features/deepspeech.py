"""The `deepspeech` extractor (weights `deepspeech_0_1_0`; needs ``pip install 'talkbench[deepspeech]'``).

AD-NeRF ``data_util/deepspeech_features`` (aud_ds.npy, also used by ER-NeRF and RAD-NeRF):
16-bit samples, 26 MFCCs (`python_speech_features.mfcc` defaults: 25 ms window, 10 ms step),
every second row kept, 9 rows of context either side (zero rows past the ends), standardised
with the mean and std of the whole input, through the DeepSpeech 0.1.0 frozen TensorFlow graph
(`input_node`, `input_lengths` -> `logits`, 29 per row at 50 rows per second); the logits are
linearly interpolated onto round(seconds * 50) rows, the last one dropped (their window-of-1
loop stops one short), and cut into windows of 16 rows every 2 rows with 8 zero rows at both
ends: [ceil(M / 2), 16, 29], fed transposed, [T, 29, 16]. TensorFlow is an optional extra
(`talkbench.zoo.deepspeech`); without it the extractor says how to install it, and a precomputed
aud_ds.npy can still be stored with ``bench data prepare --audio-features``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from talkbench.audio_features.base import ROW_MS, WINDOW_ROWS, AudioExtractor, strided_windows
from talkbench.core.types import SAMPLE_RATE
from talkbench.zoo.deepspeech import (DEEPSPEECH_0_1_0, LOGITS as DS_LOGITS, NUM_CEPSTRUM as DS_NUM_CEPSTRUM,
                                      NUM_CONTEXT as DS_NUM_CONTEXT, load_deepspeech, tensorflow_missing)


def deepspeech_input(audio: np.ndarray) -> np.ndarray:
    """DeepSpeech 0.1.0's input [n, 494] for 16 kHz float audio (16-bit samples, MFCC, context, standardised)."""
    from python_speech_features import mfcc

    pcm = np.clip(np.round(np.asarray(audio, np.float64) * 32768.0), -32768, 32767).astype(np.int16)
    feats = mfcc(signal=pcm, samplerate=SAMPLE_RATE, numcep=DS_NUM_CEPSTRUM)[::2]  # the BiRNN's stride of 2
    n = len(feats)
    ctx = np.zeros((DS_NUM_CONTEXT, DS_NUM_CEPSTRUM), feats.dtype)
    padded = np.concatenate([ctx, feats, ctx])
    width = 2 * DS_NUM_CONTEXT + 1
    inputs = padded[np.arange(n)[:, None] + np.arange(width)[None, :]].reshape(n, width * DS_NUM_CEPSTRUM)
    return (inputs - inputs.mean()) / inputs.std()


def deepspeech_windows_from_logits(logits: np.ndarray, num_samples: int) -> np.ndarray:
    """Logits [n, 29] at 50 rows per second -> aud_ds.npy windows [ceil(M / 2), 16, 29] (module docstring)."""
    rate = 1000.0 / ROW_MS
    out_len = int(round(num_samples / SAMPLE_RATE * rate))
    src_t = np.arange(len(logits)) / rate
    dst_t = np.arange(out_len) / rate
    rows = np.stack([np.interp(dst_t, src_t, logits[:, k]) for k in range(logits.shape[1])], axis=1) if len(logits) else \
        np.zeros((out_len, logits.shape[1]))
    rows = rows[: max(0, out_len - 1)]  # their window-of-1 loop stops one row short
    return strided_windows(rows.astype(np.float32), count=(len(rows) + 1) // 2)


def _deepspeech_windows(extractor: AudioExtractor, audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """aud_ds.npy of the module docstring: [ceil(M / 2), 16, 29]."""
    session, logits_t, input_t, lengths_t = load_deepspeech(path, digest)
    inputs = deepspeech_input(audio)
    logits = session.run(logits_t, feed_dict={input_t: inputs[np.newaxis].astype(np.float32), lengths_t: [len(inputs)]})
    return deepspeech_windows_from_logits(np.asarray(logits, np.float64)[:, 0], len(audio))


DEEPSPEECH = AudioExtractor(
    name="deepspeech", weights=DEEPSPEECH_0_1_0.name, window=WINDOW_ROWS, normalised=False, fixed_dims=DS_LOGITS,
    run=_deepspeech_windows, needs=tensorflow_missing,
    protocol="AD-NeRF data_util/deepspeech_features: DeepSpeech 0.1.0 logits on MFCC input, interpolated to 50 Hz, "
             "windows of 16 rows every 2 (aud_ds.npy)",
)
