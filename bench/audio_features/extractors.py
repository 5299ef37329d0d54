"""Named audio feature extractors: per video frame, a window of audio features for the NeRF heads.

Every extractor maps 16 kHz mono float32 audio, a frame count and the frame rate to float32
windows [T, D, W] (D channels, W rows: the layout `talkbench.methods.nerf.audio.AudioNet` consumes) and
describes itself with a plain dict (name, weights entry and its sha256, D, W, protocol) that is
recorded with whatever was trained on its output. `extract` does both; `require` checks, before
any work, that an extractor can run (its weights installed and checksum-verified, its packages
importable) and raises the one-line `WeightsMissing` / `BenchError` otherwise.

Extractors (`EXTRACTORS`):

``log-mel`` (default; offline, no weights)
    talkbench's own front end: log-mel rows every 10 ms (`talkbench.audio_features.log_mel.log_mel`), 32 of
    them (0.32 s) centred on each frame, adjacent pairs averaged: [T, n_mels, 16], i.e. the
    references' 16 rows of 20 ms with mel bands in place of ASR outputs. Normalised per band with
    the training clip's statistics by the trainer (its values are logs of powers).

``hubert`` (weights `hubert_large_ls960_ft`, the snapshot of facebook/hubert-large-ls960-ft)
    ER-NeRF / SyncTalk ``data_utils/hubert.py`` (aud_hu.npy): the Wav2Vec2 feature extractor of the
    snapshot (zero mean, unit variance over the whole clip) then `HubertModel`'s last hidden state
    (1024-d for the large model) at 50 rows per second. Long audio runs in pieces of 1000 rows
    (320 000 samples plus the 80 that the 400-sample receptive field needs beyond the 320-sample
    stride), the remainder only when it is at least 400 samples; the rows are cut or zero-padded
    to (samples - 80) // 320, an odd count loses its last row, and pairs of rows make one window
    per 25 fps frame: [N, 2, D], fed transposed, [T, D, 2] (the references' AudioNet crops
    windows to 16 rows and its four stride-2 convolutions bring 2 rows to 1 as well).

``wav2vec`` (weights `wav2vec2_xlsr53_esperanto`, cpierse/wav2vec2-large-xlsr-53-esperanto)
    RAD-NeRF ``nerf/asr.py`` / ER-NeRF ``data_utils/wav2vec.py --save_feats`` (aud_eo.npy): the
    audio is streamed in 20 ms pieces of 320 samples after 10 pieces of silence; whenever
    10 + 50 + 10 pieces are held, the Wav2Vec2 feature extractor (normalising that 1.4 s segment on
    its own) and `Wav2Vec2ForCTC` run on them and the logits of rows 10 to n - 10 (of n rows) are
    kept, then the last 20 pieces carried over; at the end the pieces held run once more, keeping
    rows from 10 on. The logits (44 for the Esperanto vocabulary) at 50 rows per second are cut
    into windows of 16 rows every 2 rows, zero-padded by 8 rows at both ends (`F.unfold` with
    stride 2): [M // 2 + 1, 16, C], fed transposed, [T, C, 16].

``syncnet`` (weights `syncnet_v2`, the LSE metrics' SyncNet)
    SyncTalk's lip encoder stand-in: the audio tower of the sync expert, on the 20 MFCC rows (0.2 s)
    centred on each 25 fps frame, a 1024-d embedding per frame, [T, 1024, 1]; standardised with the
    training statistics like log-mel.

``deepspeech`` (weights `deepspeech_0_1_0`; needs ``pip install 'talkbench[deepspeech]'``)
    AD-NeRF ``data_util/deepspeech_features`` (aud_ds.npy, also used by ER-NeRF and RAD-NeRF):
    16-bit samples, 26 MFCCs (`python_speech_features.mfcc` defaults: 25 ms window, 10 ms step),
    every second row kept, 9 rows of context either side (zero rows past the ends), standardised
    with the mean and std of the whole input, through the DeepSpeech 0.1.0 frozen TensorFlow graph
    (`input_node`, `input_lengths` -> `logits`, 29 per row at 50 rows per second); the logits are
    linearly interpolated onto round(seconds * 50) rows, the last one dropped (their window-of-1
    loop stops one short), and cut into windows of 16 rows every 2 rows with 8 zero rows at both
    ends: [ceil(M / 2), 16, 29], fed transposed, [T, 29, 16]. TensorFlow is an optional extra:
    tensorflow-cpu 2.19.1 resolves together with the pins that mediapipe 0.10.21 needs (numpy
    1.26.4, protobuf 4.25.9 < 5, ml_dtypes 0.5.4); without it the extractor says how to install
    it, and a precomputed aud_ds.npy can still be stored with ``bench data prepare --audio-features``.

Frame alignment: the references' windows come 25 per second (two 50 Hz rows per frame) and frame
i takes window min(i, N - 1) (their loaders' `aud_id` clamp). For a clip at another rate, frame i
takes window round(i * 25 / fps), clamped the same way; a clip too short for any window gets
zero windows (the references pad missing features with zeros).

Loading is strictly local: weights come only from the registry (`talkbench.infra.weights`), Hugging Face
snapshots through ``from_pretrained(dir, local_files_only=True)`` with ``HF_HUB_OFFLINE=1`` set,
so nothing is fetched at run time. Loaded models are kept per process (one per extractor and device).
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from talkbench.core.errors import BenchError, WeightsMissing
from talkbench.core.types import SAMPLE_RATE

WINDOW_ROWS = 16
"""Rows of the references' per-frame window (16 rows of 20 ms) and of the log-mel windows."""

ROW_MS = 20.0
"""Duration of one window row in ms (the ASR models' 50 rows per second)."""

WINDOWS_PER_SECOND = 25.0
"""The references' windows come at 25 per second (every second 50 Hz row), one per 25 fps frame."""

HUBERT_KERNEL, HUBERT_STRIDE = 400, 320
"""HuBERT's convolutional front end as one Conv1d: receptive field and hop in samples."""
HUBERT_PIECE_ROWS = 1000
"""Rows per forward pass on long audio (the reference's memory-bounded pieces)."""

W2V_PIECE = 320
"""Samples per streamed piece (20 ms at 16 kHz, the reference's 50 fps audio frames)."""
W2V_LEFT, W2V_MIDDLE, W2V_RIGHT = 10, 50, 10
"""Pieces of left context, kept output and right context per forward pass (the references' -l -m -r)."""
W2V_BATCH = 8
"""Full 1.4 s segments per forward pass (the same inputs as one at a time, batched for speed)."""

DS_NUM_CEPSTRUM, DS_NUM_CONTEXT, DS_LOGITS = 26, 9, 29
"""DeepSpeech 0.1.0 input: 26 MFCCs with 9 rows of context either side; output: 29 logits."""

TENSORFLOW_PIN = "tensorflow-cpu==2.19.1"
"""The TensorFlow the `deepspeech` extra installs (checked to resolve with mediapipe's numpy/protobuf pins)."""


# ----------------------------------------------------------------------------- log-mel


def log_mel_windows(audio: np.ndarray, num_frames: int, fps: float, sample_rate: int = SAMPLE_RATE,
                    n_mels: int = 80) -> np.ndarray:
    """Per video frame, 16 rows x n_mels of log-mel centred on it: float32 [T, n_mels, 16].

    Log-mel rows come every 10 ms; a window of 32 of them (0.32 s) is taken per frame and
    adjacent pairs are averaged, giving the 16 rows at 20 ms of the references' ASR windows.
    """
    from talkbench.audio_features.log_mel import frame_windows, log_mel

    if num_frames < 1:
        raise ValueError(f"audio_windows: num_frames must be >= 1, got {num_frames}")
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"audio_windows: audio must be {SAMPLE_RATE} Hz, got {sample_rate}")
    audio = np.asarray(audio, np.float32)
    if audio.size < 400:  # shorter than one STFT window: pad with silence
        audio = np.pad(audio, (0, 400 - audio.size))
    mel = log_mel(audio, sample_rate=sample_rate, n_mels=n_mels)  # [rows, n_mels], 10 ms hop
    rows10 = int(round(2 * WINDOW_ROWS * ROW_MS / 20.0))
    windows = frame_windows(mel, num_frames, fps, hop_ms=10.0, window_s=rows10 * 0.010)  # [T, 32, n_mels]
    windows = windows[:, : 2 * WINDOW_ROWS].reshape(num_frames, WINDOW_ROWS, 2, n_mels).mean(axis=2)
    return np.ascontiguousarray(windows.transpose(0, 2, 1), dtype=np.float32)


# ----------------------------------------------------------------------------- shared pieces


def frame_windows_25(windows: np.ndarray, num_frames: int, fps: float) -> np.ndarray:
    """Windows at 25 per second [N, W, D] -> one per video frame, transposed for AudioNet: [T, D, W].

    Frame i takes window round(i * 25 / fps) clamped to N - 1 (at 25 fps: min(i, N - 1), the
    references' aud_id clamp); with no window at all every frame gets zeros.
    """
    n, rows, dims = windows.shape
    if n == 0:
        return np.zeros((num_frames, dims, rows), np.float32)
    idx = np.minimum(np.round(np.arange(num_frames) * WINDOWS_PER_SECOND / float(fps)).astype(np.int64), n - 1)
    return np.ascontiguousarray(windows[idx].transpose(0, 2, 1), dtype=np.float32)


def strided_windows(rows: np.ndarray, size: int = WINDOW_ROWS, stride: int = 2, count: int | None = None) -> np.ndarray:
    """Windows of `size` rows every `stride` rows, window j = rows [stride*j - size/2, stride*j + size/2) zero-padded.

    [M, C] -> [count, size, C]; `count` defaults to M // stride + 1 (what `F.unfold` with padding size/2 gives).
    """
    m, c = rows.shape
    count = m // stride + 1 if count is None else count
    half = size // 2
    padded = np.concatenate([np.zeros((half, c), rows.dtype), rows, np.zeros((half, c), rows.dtype)])
    index = stride * np.arange(count)[:, None] + np.arange(size)[None, :]
    return padded[index]


def _offline() -> None:
    # Set before transformers / huggingface_hub read them (they do at import): no hub look-ups at all.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _read_config(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise WeightsMissing(f"{directory / 'config.json'}: unreadable ({exc}); reinstall the snapshot") from exc


_MODELS: dict[tuple[str, str, str, str], Any] = {}
"""Loaded models by (extractor, path, sha256, device): loading HuBERT-large takes seconds."""
_MODELS_LOCK = threading.Lock()


def _cached(key: tuple[str, str, str, str], load: Callable[[], Any]) -> Any:
    with _MODELS_LOCK:
        if key not in _MODELS:
            for old in [k for k in _MODELS if k[0] == key[0]]:  # one model per extractor: they are GBs
                del _MODELS[old]
            _MODELS[key] = load()
        return _MODELS[key]


def _load_hf(extractor: "AudioExtractor", path: Path, digest: str, device: str) -> tuple[Any, Any]:
    """(feature extractor, model) of an installed snapshot, loaded from the directory only."""

    def load() -> tuple[Any, Any]:
        _offline()
        import torch

        from talkbench.infra.torchvision_compat import import_torchvision

        # transformers imports torchvision when it is installed; on CPU torch that import needs the shim
        import_torchvision()
        import transformers

        model_cls = getattr(transformers, extractor.model_class)
        try:
            fe = transformers.Wav2Vec2FeatureExtractor.from_pretrained(str(path), local_files_only=True)
            model = model_cls.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - a bad snapshot fails in many ways; all mean "refuse it"
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise WeightsMissing(f"{path}: not loadable as {extractor.model_class} ({type(exc).__name__}: {first}); "
                                 f"reinstall with: {_hint(extractor)}") from exc
        model.eval()
        return fe, model.to(torch.device(device))

    return _cached((extractor.name, str(path), digest, device), load)


def _hint(extractor: "AudioExtractor") -> str:
    from talkbench.infra import weights

    return weights.get_entry(extractor.weights).install_hint() if extractor.weights else ""


# ----------------------------------------------------------------------------- hubert


def _hubert_windows(extractor: "AudioExtractor", audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """aud_hu.npy of the module docstring: [N, 2, D]."""
    import torch

    fe, model = _load_hf(extractor, path, digest, device)
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


# ----------------------------------------------------------------------------- wav2vec


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


def _wav2vec_windows(extractor: "AudioExtractor", audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """aud_eo.npy of the module docstring: [M // 2 + 1, 16, C]."""
    import torch

    fe, model = _load_hf(extractor, path, digest, device)
    segments = w2v_segments(audio)
    full = [s for s, last in segments if not last]
    kept: list[np.ndarray] = []

    def logits_of(batch: list[np.ndarray]) -> np.ndarray:
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


# ----------------------------------------------------------------------------- deepspeech


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


def _tensorflow_missing() -> str:
    if importlib.util.find_spec("tensorflow") is None:
        return (f"the deepspeech audio features run the DeepSpeech 0.1.0 TensorFlow graph and TensorFlow is not installed; "
                f"install it with: pip install 'talkbench[deepspeech]' ({TENSORFLOW_PIN}), or prepare the clip with "
                "--audio-features aud_ds.npy made elsewhere")
    return ""


def _deepspeech_windows(extractor: "AudioExtractor", audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """aud_ds.npy of the module docstring: [ceil(M / 2), 16, 29]."""

    def load() -> tuple[Any, Any, Any, Any]:
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
                                 f"{str(exc).strip()[:160]}); reinstall with: {_hint(extractor)}") from exc
        return tf.compat.v1.Session(graph=graph), *tensors

    session, logits_t, input_t, lengths_t = _cached((extractor.name, str(path), digest, "cpu"), load)
    inputs = deepspeech_input(audio)
    logits = session.run(logits_t, feed_dict={input_t: inputs[np.newaxis].astype(np.float32), lengths_t: [len(inputs)]})
    return deepspeech_windows_from_logits(np.asarray(logits, np.float64)[:, 0], len(audio))


# ----------------------------------------------------------------------------- the registry


def _syncnet_windows(extractor: "AudioExtractor", audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """SyncNet v2 audio-tower embeddings, one per 25 fps frame: [N, 1, 1024].

    Frame i's input is the 20 MFCC rows (0.2 s, 5 frames) centred on it: rows 4(i-2) .. 4(i+3) of
    SyncNet's own MFCCs (`talkbench.metrics.sync.syncnet.mfcc_features`), zero rows beyond the clip's ends.
    """
    import torch

    from talkbench.metrics.sync.syncnet import MFCC_PER_FRAME, MFCC_WINDOW, float_to_int16, load_syncnet, mfcc_features

    net, _ = load_syncnet(device)
    mfcc = mfcc_features(float_to_int16(audio))                     # [13, M] at 100 Hz
    n = max(0, int(round(len(audio) / SAMPLE_RATE * WINDOWS_PER_SECOND)))
    if n == 0:
        return np.zeros((0, 1, SYNCNET_DIMS), np.float32)
    pad = 2 * MFCC_PER_FRAME
    padded = np.pad(mfcc, ((0, 0), (pad, pad + MFCC_WINDOW)))
    starts = MFCC_PER_FRAME * np.arange(n)                          # window of frame i starts at 4i - 8 (+ pad)
    batch = np.stack([padded[:, s:s + MFCC_WINDOW] for s in starts]).astype(np.float32)
    out = []
    with torch.inference_mode():
        for k in range(0, n, 256):
            x = torch.from_numpy(batch[k:k + 256]).unsqueeze(1).to(device)   # [B, 1, 13, 20]
            out.append(net.forward_aud(x).float().cpu().numpy())
    return np.concatenate(out)[:, None, :].astype(np.float32)


SYNCNET_DIMS = 1024
"""SyncNet v2's audio embedding size."""


@dataclass(frozen=True)
class AudioExtractor:
    """One named feature extractor and what it follows."""

    name: str
    weights: str | None
    """Entry of `talkbench.infra.weights` it needs (None: none)."""
    window: int
    """W: rows per frame window."""
    normalised: bool
    """True when the trainer standardises the windows with training statistics (the references feed ASR outputs raw)."""
    protocol: str
    """What the features are, in one line (the module docstring has the details)."""
    model_class: str = ""
    """transformers class loaded from the snapshot (Hugging Face extractors)."""
    fixed_dims: int = 0
    """D when the model fixes it (DeepSpeech's 29); otherwise read from the snapshot's config."""
    dims_key: str = ""
    """config.json key giving D (hidden_size for HuBERT, vocab_size for a CTC head)."""
    run: Callable[..., np.ndarray] | None = None
    """(extractor, audio, path, sha256, device) -> windows at 25 per second [N, W, D]."""
    needs: Callable[[], str] | None = None
    """Returns why a package it needs is missing ("" when none is)."""

    def dims(self, n_mels: int = 80) -> int:
        """D: channels per window row (needs the installed snapshot for the Hugging Face extractors)."""
        if self.weights is None:
            return int(n_mels)
        if self.fixed_dims:
            return self.fixed_dims
        from talkbench.infra import weights

        return int(_read_config(weights.require(self.weights))[self.dims_key])


EXTRACTORS: dict[str, AudioExtractor] = {
    e.name: e
    for e in [
        AudioExtractor(
            name="log-mel", weights=None, window=WINDOW_ROWS, normalised=True,
            protocol="log-mel (25 ms window, 10 ms hop), 32 rows centred on the frame, pairs averaged: 16 rows x 20 ms "
                     "(talkbench's offline default in place of the references' ASR features)",
        ),
        AudioExtractor(
            name="hubert", weights="hubert_large_ls960_ft", window=2, normalised=False, model_class="HubertModel",
            dims_key="hidden_size", run=_hubert_windows,
            protocol="ER-NeRF/SyncTalk data_utils/hubert.py: HubertModel last_hidden_state at 50 Hz, pieces of 1000 rows, "
                     "2 rows per 25 fps frame (aud_hu.npy)",
        ),
        AudioExtractor(
            name="wav2vec", weights="wav2vec2_xlsr53_esperanto", window=WINDOW_ROWS, normalised=False,
            model_class="AutoModelForCTC", dims_key="vocab_size", run=_wav2vec_windows,
            protocol="RAD-NeRF nerf/asr.py --save_feats: Wav2Vec2ForCTC logits streamed with l/m/r = 10/50/10 x 20 ms, "
                     "windows of 16 rows every 2 (aud_eo.npy)",
        ),
        AudioExtractor(
            name="syncnet", weights="syncnet_v2", window=1, normalised=True, fixed_dims=SYNCNET_DIMS,
            run=_syncnet_windows,
            protocol="SyncNet v2 audio tower (syncnet_python forward_aud) on the 20 MFCC rows centred on each frame: "
                     "a 1024-d lip-sync embedding per frame (SyncTalk's lip encoder is a sync-trained audio tower; "
                     "its own checkpoint is not redistributable)",
        ),
        AudioExtractor(
            name="deepspeech", weights="deepspeech_0_1_0", window=WINDOW_ROWS, normalised=False, fixed_dims=DS_LOGITS,
            run=_deepspeech_windows, needs=_tensorflow_missing,
            protocol="AD-NeRF data_util/deepspeech_features: DeepSpeech 0.1.0 logits on MFCC input, interpolated to 50 Hz, "
                     "windows of 16 rows every 2 (aud_ds.npy)",
        ),
    ]
}
"""The extractors by name (`NeRFConfig.audio_features`, `bench data prepare --audio-features NAME`)."""


def names() -> list[str]:
    """Names of all extractors."""
    return list(EXTRACTORS)


def get_extractor(name: str) -> AudioExtractor:
    """The extractor called `name`; an unknown name raises UnknownNameError with close matches."""
    from talkbench.core.registry import Registry

    reg: Registry[AudioExtractor] = Registry("audio feature extractor")
    for extractor in EXTRACTORS.values():
        reg.register(extractor.name)(extractor)
    return reg.get(name)


def require(name: str) -> None:
    """Fail now, with the install command, when `name` cannot run (weights missing or refused, a package missing)."""
    extractor = get_extractor(name)
    if extractor.weights:
        from talkbench.infra import weights

        weights.require(extractor.weights)
    reason = extractor.needs() if extractor.needs else ""
    if reason:
        raise BenchError(reason)


def weights_state(name: str) -> dict[str, Any]:
    """What of the environment changes `name`'s output (for cache keys): weights status and digest; never raises on missing weights."""
    extractor = get_extractor(name)
    if extractor.weights is None:
        return {"extractor": name}
    from talkbench.infra import weights

    state, _ = weights.status(extractor.weights)
    digest = weights.verified(extractor.weights)[1] if state == "installed" else ""
    return {"extractor": name, "weights": extractor.weights, "status": state, "sha256": digest}


def describe(name: str, n_mels: int = 80) -> dict[str, Any]:
    """The plain-data provenance of `name` (name, weights entry and sha256, D, W, protocol); checks its weights."""
    require(name)
    extractor = get_extractor(name)
    digest = None
    if extractor.weights:
        from talkbench.infra import weights

        digest = weights.verified(extractor.weights)[1]
    return {
        "name": extractor.name,
        "dims": extractor.dims(n_mels),
        "window": extractor.window,
        "rows_per_second": 1000.0 / ROW_MS,
        "weights": extractor.weights,
        "weights_sha256": digest,
        "normalised": "per channel, training statistics" if extractor.normalised else "none (as the references)",
        "protocol": extractor.protocol,
    }


def extract(name: str, audio: np.ndarray, num_frames: int, fps: float, sample_rate: int = SAMPLE_RATE, *,
            n_mels: int = 80, device: str = "cpu") -> tuple[np.ndarray, dict[str, Any]]:
    """Per-frame windows float32 [T, D, W] of 16 kHz mono audio by extractor `name`, and its provenance dict."""
    if num_frames < 1:
        raise ValueError(f"audio features: num_frames must be >= 1, got {num_frames}")
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"audio features: audio must be {SAMPLE_RATE} Hz, got {sample_rate}")
    info = describe(name, n_mels)
    extractor = get_extractor(name)
    audio = np.asarray(audio, np.float32).reshape(-1)
    if extractor.run is None:
        windows = log_mel_windows(audio, num_frames, fps, sample_rate, n_mels=n_mels)
    else:
        from talkbench.infra import weights

        path, digest = weights.verified(extractor.weights)  # type: ignore[arg-type]
        windows = frame_windows_25(extractor.run(extractor, audio, path, digest, device), num_frames, fps)
    if windows.shape[1:] != (info["dims"], info["window"]):
        raise BenchError(f"audio features {name}: windows {list(windows.shape[1:])}, expected "
                         f"[{info['dims']}, {info['window']}] (does the installed model match its config?)")
    return windows, info
