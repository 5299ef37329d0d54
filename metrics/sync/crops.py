"""SyncNet's input of a face track: 224×224 face crops and the track's span of the audio (`run_pipeline.py`'s
`crop_video`).

Per frame: half-size s = max(w, h)/2 and centre, each median-filtered over the track (kernel 13,
zero-padded at the ends like scipy's medfilt); the frame is padded with grey 110 by int(s·(1 + 2·0.4));
rows [cy − s, cy + 1.8·s), columns [cx − 1.4·s, cx + 1.4·s) (int truncation of padded coordinates);
resized to 224×224 (bilinear); BGR as cv2 gives it. A track's audio is samples [first·640, (last + 1)·640)
of the 16 kHz audio.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy import signal

from talkbench.core.errors import BenchError
from talkbench.metrics.sync.tracks import FaceTrack
from talkbench.zoo.syncnet import SAMPLES_PER_FRAME

SMOOTH_KERNEL = 13
CROP_SCALE = 0.40
CROP_SIZE = 224
PAD_VALUE = 110


def smooth_track(bboxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(half-size, centre x, centre y) per frame, each median-filtered with kernel 13 (zero-padded ends)."""
    b = np.asarray(bboxes, dtype=np.float64)
    s = np.maximum(b[:, 3] - b[:, 1], b[:, 2] - b[:, 0]) / 2
    x = (b[:, 0] + b[:, 2]) / 2
    y = (b[:, 1] + b[:, 3]) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracks shorter than the kernel: zero-padded, as in the original
        s, x, y = (np.asarray(signal.medfilt(v, kernel_size=SMOOTH_KERNEL), dtype=np.float64) for v in (s, x, y))
    return s, x, y


def crop_face(frame_bgr: np.ndarray, s: float, x: float, y: float, crop_scale: float = CROP_SCALE) -> np.ndarray:
    """The 224×224 crop of one frame around centre (x, y) with half-size s, grey-padded outside the frame."""
    import cv2

    pad = int(s * (1 + 2 * crop_scale))
    padded = cv2.copyMakeBorder(np.ascontiguousarray(frame_bgr), pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                                value=(PAD_VALUE, PAD_VALUE, PAD_VALUE))
    my, mx = y + pad, x + pad
    face = padded[int(my - s):int(my + s * (1 + 2 * crop_scale)), int(mx - s * (1 + crop_scale)):int(mx + s * (1 + crop_scale))]
    if face.size == 0:
        raise BenchError(f"empty face crop (half-size {s:.1f} px at ({x:.1f}, {y:.1f}))")
    return cv2.resize(face, (CROP_SIZE, CROP_SIZE))


def crop_track(frames_bgr: Sequence[np.ndarray], track: FaceTrack, crop_scale: float = CROP_SCALE) -> np.ndarray:
    """uint8 [n, 224, 224, 3] crops of a track from the 25 fps BGR frames (indexed by `track.frames`)."""
    s, x, y = smooth_track(track.bboxes)
    return np.stack([crop_face(frames_bgr[int(f)], s[i], x[i], y[i], crop_scale) for i, f in enumerate(track.frames)])


def track_audio(audio_int16: np.ndarray, track: FaceTrack) -> np.ndarray:
    """The track's span of the 16 kHz audio: samples [first·640, (last+1)·640)."""
    return audio_int16[int(track.frames[0]) * SAMPLES_PER_FRAME:(int(track.frames[-1]) + 1) * SAMPLES_PER_FRAME]
