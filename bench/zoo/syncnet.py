"""SyncNet v2 (Chung & Zisserman 2016, as released with joonson/syncnet_python): its weights, the network, and
the input it was trained on.

The network is the `syncnet-python` package's `SyncNetModel.S`, loaded strictly from the verified
`syncnet_v2` file. Its input protocol: video at 25 fps in windows of 5 frames; audio at 16 kHz as int16
samples (float samples convert as ffmpeg's pcm_s16le encoder converts them: round(x·32768), saturated),
read as `python_speech_features.mfcc` with its defaults (13 coefficients every 10 ms), 4 MFCC columns per
video frame and 20 per window (0.2 s). Users: the LSE metrics (`talkbench.metrics.sync`) and SyncTalk's lip
encoder (`talkbench.audio_features.syncnet`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from talkbench.core.errors import InputError
from talkbench.infra.devices import resolve_device
from talkbench.infra.weights import UNPUBLISHED, WeightsEntry
from talkbench.zoo.cache import cached, load_strict

SYNCNET_V2 = WeightsEntry(
    name="syncnet_v2",
    filename="syncnet_v2.model",
    sha256=UNPUBLISHED,
    url="http://www.robots.ox.ac.uk/~vgg/software/lipsync/data/syncnet_v2.model",
    licence="released by VGG Oxford with syncnet_python (code MIT); research use, check the authors' terms",
    used_by="LSE-C / LSE-D (SyncNet v2, the papers' sync expert)",
)

FRAME_RATE = 25
"""Video frame rate SyncNet was trained on; other rates are resampled to it."""
SAMPLE_RATE = 16_000
SAMPLES_PER_FRAME = SAMPLE_RATE // FRAME_RATE  # 640
VIDEO_WINDOW = 5
"""Frames per SyncNet video window."""
MFCC_PER_FRAME = 4
"""MFCC columns per video frame (10 ms hop at 25 fps)."""
MFCC_WINDOW = 20
"""MFCC columns per SyncNet audio window (0.2 s)."""


def float_to_int16(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16 the way ffmpeg's pcm_s16le encoder does: round(x·32768), saturated."""
    x = np.asarray(audio, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError("audio contains NaN or infinite samples")
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype(np.int16)


def mfcc_features(audio_int16: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """[13, M] MFCCs as SyncNet reads them: python_speech_features.mfcc defaults on int16 samples."""
    import python_speech_features

    if sample_rate != SAMPLE_RATE:
        raise InputError(f"SyncNet needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    return np.ascontiguousarray(python_speech_features.mfcc(np.asarray(audio_int16), sample_rate).T)


def _build_syncnet(device: str) -> Any:
    from syncnet_python.SyncNetModel import S

    return load_strict("syncnet_v2", S()).to(device).eval()


def load_syncnet(device: str = "cpu") -> tuple[Any, str]:
    """(SyncNet v2 `S` in eval mode on `device`, file sha256), cached per device and file."""
    return cached("syncnet_v2", resolve_device(device), _build_syncnet)
