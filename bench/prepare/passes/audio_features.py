"""Pass `audio_features`: per-frame audio features stored with the clip, from a file or an extractor.

talkbench's offline default is a log-mel window per frame, computed by the method itself from the clip's
audio (`talkbench.audio_features`): a clip without this annotation records
`meta["audio_features"] = AUDIO_FEATURES_DEFAULT`. A precomputed DeepSpeech / HuBERT / wav2vec file
(`--audio-features FILE.npy`, one row per 25 fps frame, any trailing shape) is stored as the annotation
`audio_features` and its source recorded; an extractor name instead (`--audio-features hubert|wav2vec|deepspeech`)
computes them from the clip's audio with the installed weights, stored per frame in the official aud_*.npy
layout [T, W, D] with the extractor's provenance (weights sha256, dims) in `meta["audio_features_source"]`.
Stored features are for the record and the official layout: the NeRF methods compute their windows with
their configured extractor (`--set audio_features=hubert`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core.errors import BenchError, InputError
from talkbench.prepare.pipeline import AnnotationPass, PassInputs, PassResult

AUDIO_FEATURES_DEFAULT = "log-mel (computed by the method)"
"""meta["audio_features"] of a clip that stores none."""


def read_feature_array(path: Path) -> np.ndarray:
    """A numeric, non-empty [N, ...] array from a .npy file (no pickles); InputError naming the file otherwise."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        feats = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a numpy .npy array ({exc})") from exc
    if feats.ndim < 1 or feats.dtype.kind not in "fiub" or len(feats) == 0:
        raise InputError(f"{path}: audio features must be a numeric array [N, ...], got {feats.dtype} {feats.shape}")
    return feats


def is_extractor_name(source: str | Path | None) -> bool:
    """True when `--audio-features` names an extractor of `talkbench.audio_features` (and no such file exists)."""
    from talkbench.audio_features import EXTRACTORS

    return source is not None and str(source) in EXTRACTORS and not Path(source).is_file()


def compute_audio_features(name: str, audio: np.ndarray, n_frames: int, fps: float = 25.0) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """Features of extractor `name` for each of `n_frames` frames, in the official layout [T, W, D]: (features, meta, notes)."""
    from talkbench.audio_features import extract

    windows, info = extract(name, audio, n_frames, fps)
    feats = np.ascontiguousarray(windows.transpose(0, 2, 1), np.float32)  # AudioNet's [T, D, W] -> aud_*.npy's [T, W, D]
    meta = {"kind": name, "file": "computed by talkbench.audio_features", "shape": list(feats.shape), "dtype": "float32",
            "layout": "[T, W, D] per video frame (the official aud_*.npy layout)", "extractor": info}
    return feats, meta, []


def load_audio_features(path: str | Path, n_frames: int, audio: np.ndarray | None = None,
                        fps: float = 25.0) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """A precomputed per-frame feature file [T', ...] conformed to `n_frames` rows, or an extractor's features of `audio`: (features, meta, notes).

    One or two rows more or fewer than the frames (an extractor's rounding at the clip's end) are
    trimmed or repeated with a note; a larger mismatch is an InputError (features must be per 25 fps frame).
    An extractor name (`is_extractor_name`) computes the features from `audio` instead.
    """
    if is_extractor_name(path):
        if audio is None:
            raise BenchError(f"--audio-features {path} computes features from the clip's audio, and none was given")
        return compute_audio_features(str(path), audio, n_frames, fps)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (--audio-features expects a .npy of per-frame features)")
    feats = read_feature_array(path)
    notes = []
    tolerance = 2
    if abs(len(feats) - n_frames) > tolerance:
        raise InputError(f"{path}: {len(feats)} feature rows for {n_frames} frames (one row per 25 fps frame is needed)")
    if len(feats) != n_frames:
        notes.append(f"{path}: {len(feats)} feature rows for {n_frames} frames: "
                     + ("trimmed" if len(feats) > n_frames else "last row repeated"))
        idx = np.minimum(np.arange(n_frames), len(feats) - 1)
        feats = feats[idx]
    stem = path.stem.lower()
    kind = ("DeepSpeech" if "ds" in stem.split("_") or "deepspeech" in stem else
            "HuBERT" if "hu" in stem.split("_") or "hubert" in stem else
            "wav2vec" if "eo" in stem.split("_") or "wav2vec" in stem else "precomputed")
    meta = {"kind": kind, "file": str(path), "shape": list(feats.shape), "dtype": str(feats.dtype),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16]}
    return np.ascontiguousarray(feats, np.float32), meta, notes


class AudioFeaturesPass(AnnotationPass):
    """Stored per-frame audio features (module docstring)."""

    name = "audio_features"
    provides = frozenset({"audio_features"})
    options = ("audio_features",)

    def check(self, inputs: PassInputs) -> None:
        """A source must be given; an extractor needs the clip's audio and its weights (said before the long passes)."""
        source = inputs.options.audio_features
        if not source:
            raise BenchError("the annotation audio_features stores given features: pass --audio-features FILE.npy or an "
                             "extractor name (hubert, wav2vec, deepspeech)")
        if is_extractor_name(source):
            from talkbench.audio_features import require

            if inputs.audio is None:
                raise BenchError(f"--audio-features {source} computes features from the clip's audio, and none was given")
            require(str(source))

    def run(self, inputs: PassInputs) -> PassResult:
        """Read (or compute) the features and record where they came from."""
        feats, fmeta, notes = load_audio_features(inputs.options.audio_features, inputs.num_frames, audio=inputs.audio,
                                                  fps=inputs.fps)
        meta = {"audio_features": f"{fmeta['kind']} ({fmeta['file']})", "audio_features_source": fmeta}
        return PassResult(annotations={"audio_features": feats}, meta=meta, notes=notes)
