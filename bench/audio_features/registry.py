"""The audio feature extractors by name, and what callers do with a name: check it can run, describe it, extract.

Every extractor maps 16 kHz mono float32 audio, a frame count and the frame rate to float32
windows [T, D, W] (D channels, W rows: the layout `talkbench.methods.nerf.audio.AudioNet` consumes) and
describes itself with a plain dict (name, weights entry and its sha256, D, W, protocol) that is
recorded with whatever was trained on its output. `extract` does both; `require` checks, before
any work, that an extractor can run (its weights installed and checksum-verified, its packages
importable) and raises the one-line `WeightsMissing` / `BenchError` otherwise.

Extractors, one module each: `log-mel` (default; offline, no weights), `hubert`, `wav2vec`, `syncnet`,
`deepspeech`. Loading is strictly local: weights come only from the registry (`talkbench.infra.weights`),
the networks from `talkbench.zoo` (Hugging Face snapshots with ``local_files_only=True`` and
``HF_HUB_OFFLINE=1``), so nothing is fetched at run time. Loaded models are kept per process.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from talkbench.audio_features.base import ROW_MS, AudioExtractor, frame_windows_25
from talkbench.audio_features.deepspeech import DEEPSPEECH
from talkbench.audio_features.hubert import HUBERT
from talkbench.audio_features.log_mel import LOG_MEL, log_mel_windows
from talkbench.audio_features.syncnet import SYNCNET
from talkbench.audio_features.wav2vec import WAV2VEC
from talkbench.core.errors import BenchError
from talkbench.core.registry import Registry
from talkbench.core.types import SAMPLE_RATE
from talkbench.infra import weights

EXTRACTORS: dict[str, AudioExtractor] = {e.name: e for e in [LOG_MEL, HUBERT, WAV2VEC, SYNCNET, DEEPSPEECH]}
"""The extractors by name, in the order they are listed (`NeRFConfig.audio_features`, `bench data prepare --audio-features NAME`)."""


def names() -> list[str]:
    """Names of all extractors."""
    return list(EXTRACTORS)


def get_extractor(name: str) -> AudioExtractor:
    """The extractor called `name`; an unknown name raises UnknownNameError with close matches."""
    reg: Registry[AudioExtractor] = Registry("audio feature extractor")
    for extractor in EXTRACTORS.values():
        reg.register(extractor.name)(extractor)
    return reg.get(name)


def require(name: str) -> None:
    """Fail now, with the install command, when `name` cannot run (weights missing or refused, a package missing)."""
    extractor = get_extractor(name)
    if extractor.weights:
        weights.require(extractor.weights)
    reason = extractor.needs() if extractor.needs else ""
    if reason:
        raise BenchError(reason)


def weights_state(name: str) -> dict[str, Any]:
    """What of the environment changes `name`'s output (for cache keys): weights status and digest; never raises on missing weights."""
    extractor = get_extractor(name)
    if extractor.weights is None:
        return {"extractor": name}
    state, _ = weights.status(extractor.weights)
    digest = weights.verified(extractor.weights)[1] if state == "installed" else ""
    return {"extractor": name, "weights": extractor.weights, "status": state, "sha256": digest}


def describe(name: str, n_mels: int = 80) -> dict[str, Any]:
    """The plain-data provenance of `name` (name, weights entry and sha256, D, W, protocol); checks its weights."""
    require(name)
    extractor = get_extractor(name)
    digest = None
    if extractor.weights:
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
        # resolved once: the windows and the provenance name the same verified file
        path, digest = weights.verified(extractor.weights)  # type: ignore[arg-type]
        windows = frame_windows_25(extractor.run(extractor, audio, path, digest, device), num_frames, fps)
    if windows.shape[1:] != (info["dims"], info["window"]):
        raise BenchError(f"audio features {name}: windows {list(windows.shape[1:])}, expected "
                         f"[{info['dims']}, {info['window']}] (does the installed model match its config?)")
    return windows, info
