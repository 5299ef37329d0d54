"""Person / background segmentation of video frames: mediapipe's selfie segmentation, offline.

mediapipe 0.10.21 bundles the selfie-segmentation models in its wheel (nothing is downloaded;
`talkbench.zoo.mediapipe.selfie_segmentation` builds them):
`model_selection=0` is the "general" model (256×256 input, the one for portrait framing, used
here), `1` the "landscape" model (144×256, faster, meant for video calls). Each frame is run
independently (the legacy `solutions` API has no temporal state for this model), and the
per-pixel person probability is thresholded at `threshold` (default 0.5).

The mask covers everything the model calls a person: face, hair, neck, shoulders and clothes.
`talkbench.prepare.preprocess` splits it into head and torso with the face landmarks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from talkbench.core.errors import BenchError, InputError
from talkbench.zoo.mediapipe import selfie_segmentation

MODEL_SELECTION = 0
"""0: the general (portrait) model; 1: the landscape model."""
THRESHOLD = 0.5
"""Person probability above which a pixel belongs to the person."""


def settings(model_selection: int = MODEL_SELECTION, threshold: float = THRESHOLD) -> dict[str, Any]:
    """What defines the segmentation's output (recorded in the prepared clip's meta)."""
    import mediapipe

    return {"backend": "mediapipe.solutions.selfie_segmentation", "mediapipe": mediapipe.__version__,
            "model_selection": int(model_selection), "threshold": float(threshold)}


def _segment(frames: np.ndarray, source: str, model_selection: int, threshold: float | None) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise BenchError(f"{source}: segmentation needs uint8 RGB frames [T,H,W,3], got {frames.dtype} {frames.shape}")
    if model_selection not in (0, 1):
        raise BenchError(f"segmentation: model_selection must be 0 (general) or 1 (landscape), got {model_selection}")
    out = np.zeros(frames.shape[:3], np.float32 if threshold is None else bool)
    with selfie_segmentation(model_selection) as model:
        for i, frame in enumerate(tqdm(frames, desc="person segmentation", unit="frame", leave=False, disable=None)):
            try:
                result = model.process(np.ascontiguousarray(frame))
            except Exception as exc:  # mediapipe raises RuntimeError/ValueError on a bad graph input
                raise InputError(f"{source}: frame {i}: person segmentation failed ({type(exc).__name__}: {exc})") from exc
            mask = result.segmentation_mask
            if mask is None or mask.shape != frames.shape[1:3]:
                raise InputError(f"{source}: frame {i}: person segmentation returned no mask of the frame's size")
            out[i] = mask if threshold is None else mask > threshold
    return out


def person_probability(frames: np.ndarray, source: str = "frames", model_selection: int = MODEL_SELECTION) -> np.ndarray:
    """Person probability [T,H,W] float32 in [0,1] of uint8 RGB frames [T,H,W,3]; errors name `source` and the frame."""
    return _segment(frames, source, model_selection, None)


def person_masks(frames: np.ndarray, source: str = "frames", model_selection: int = MODEL_SELECTION,
                 threshold: float = THRESHOLD) -> np.ndarray:
    """Boolean person masks [T,H,W] (probability > `threshold`), thresholded frame by frame (no float stack kept)."""
    if not 0.0 < threshold < 1.0:
        raise BenchError(f"segmentation: threshold must be in (0, 1), got {threshold}")
    return _segment(frames, source, model_selection, float(threshold))
