"""The clip's frames at 25 fps and its shots, as joonson/syncnet_python's `run_pipeline.py` finds them.

Frame rate: the original re-encodes with `ffmpeg -r 25`; here a frame rate other than 25 fps is
resampled by taking the nearest source frame for each 25 fps output time (`ffmpeg -r 25` also drops
or repeats frames, but its timestamp rounding can pick a neighbouring frame).

Shots: the original runs scenedetect 0.5.1's `ContentDetector()` (threshold 30, min_scene_len 15)
through a `VideoManager` with automatic downscaling. The installed scenedetect (0.6.x) gives the same
frame score (mean of the hue, saturation and value absolute differences, default weights). Its default
cut filter (flash filter, MERGE mode) places cuts differently, so it is switched off (`min_scene_len=0`)
and 0.5.1's rule is applied here: a cut is kept when it comes at least 15 frames after the previous
kept cut (the first cut may come at any frame). Frames are subsampled by 0.5.1's automatic downscale
factor (from the frame width) before scoring. The detector runs on the decoded 25 fps frames in
memory, with no file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from talkbench.core.errors import InputError
from talkbench.zoo.syncnet import FRAME_RATE

SCENE_THRESHOLD = 30.0
"""scenedetect 0.5.1's ContentDetector default threshold (0.6 changed it to 27)."""
SCENE_MIN_LEN = 15
SCENE_DOWNSCALE = ((3200, 12), (2100, 8), (1700, 6), (1200, 5), (900, 4), (600, 3), (400, 2))
"""scenedetect 0.5.1's automatic downscale factor by minimum frame width."""
SCENE_HANDLING = (
    f"scenedetect ContentDetector frame scores (HSV, threshold {SCENE_THRESHOLD:g}) with scenedetect 0.5.1's "
    f"min_scene_len={SCENE_MIN_LEN} rule and auto-downscale, on the decoded 25 fps frames"
)
ONE_SHOT = "scene detection off: the clip is one shot"


def resample_indices(num_frames: int, fps: float, target_fps: int = FRAME_RATE) -> np.ndarray:
    """Source frame index of each output frame at `target_fps` (nearest frame in time)."""
    if num_frames < 1:
        return np.zeros(0, dtype=np.int64)
    if abs(float(fps) - target_fps) < 1e-6:
        return np.arange(num_frames, dtype=np.int64)
    if not fps > 0:
        raise InputError(f"frame rate must be positive, got {fps}")
    n_out = max(1, int(round(num_frames * target_fps / float(fps))))
    idx = np.floor(np.arange(n_out) * (float(fps) / target_fps) + 0.5).astype(np.int64)
    return np.minimum(idx, num_frames - 1)


def _scene_downscale(width: int) -> int:
    for min_width, factor in SCENE_DOWNSCALE:
        if width >= min_width:
            return factor
    return 1


def detect_shots(frames_bgr: Sequence[np.ndarray], threshold: float = SCENE_THRESHOLD,
                 min_scene_len: int = SCENE_MIN_LEN) -> list[tuple[int, int]]:
    """[start, end) shots from ContentDetector frame scores with scenedetect 0.5.1's cut spacing rule."""
    from scenedetect.detectors import ContentDetector

    n = len(frames_bgr)
    if n == 0:
        return []
    # min_scene_len=0 turns 0.6's flash filter into a pass-through: one decision per frame
    detector = ContentDetector(threshold=threshold, min_scene_len=0)
    factor = _scene_downscale(int(frames_bgr[0].shape[1]))
    cuts: list[int] = []
    for i in range(n):
        frame = np.ascontiguousarray(frames_bgr[i][::factor, ::factor])
        if detector.process_frame(i, frame) and (not cuts or i - cuts[-1] >= min_scene_len):
            cuts.append(i)
    bounds = [0, *cuts, n]
    return list(zip(bounds[:-1], bounds[1:]))
