"""SyncNet v2 lip-sync evaluation (LSE-C / LSE-D) with the protocol the papers ran.

What the papers ran is joonson/syncnet_python's `run_pipeline.py` (face tracks) followed by
Wav2Lip's `evaluation/scores_LSE/calculate_scores_real_videos.py` (SyncNet on each track).
This module reproduces it on decoded arrays, using the `syncnet-python` package's classes
(`SyncNetModel.S`, `detectors.s3fd.S3FD` / `S3FDNet`) as a dependency:

1. Video at 25 fps (the original re-encodes with `ffmpeg -r 25`), audio 16 kHz mono int16.
2. S3FD face detection on every frame (RGB), image scale 0.25, confidence > 0.9, NMS 0.1.
3. Shots: PySceneDetect's ContentDetector (see "Scene detection" below); shots shorter than
   `min_track` frames are not tracked.
4. Tracking within a shot (greedy, in frame order): a detection joins the current track when
   it is at most 25 frames after the track's last detection and their IOU is > 0.5. A track is
   kept when it has more than `min_track` detections and, after linear interpolation of the
   boxes over the missed frames, max(mean width, mean height) > `min_face_size` pixels.
5. Crop per frame: half-size s = max(w, h)/2 and centre, each median-filtered over the track
   (kernel 13, zero-padded at the ends like scipy's medfilt); the frame is padded with grey 110
   by int(s·(1 + 2·0.4)); rows [cy − s, cy + 1.8·s), columns [cx − 1.4·s, cx + 1.4·s) (int
   truncation of padded coordinates); resized to 224×224 (bilinear); BGR as cv2 gives it.
6. A track's audio is samples [first·640, (last + 1)·640) of the 16 kHz audio.
7. SyncNet: MFCCs from `python_speech_features.mfcc` (defaults) on the int16 samples; with
   L = min(frames, ⌊samples/640⌋), windows v = 0 … L − 6 pair crops v … v+4 (raw 0–255 BGR)
   with MFCC columns 4v … 4v+19, 20 windows per batch. Each video feature is compared with the
   audio features shifted by −15 … +15 windows (zero rows beyond the ends) with torch's
   `pairwise_distance` (eps 1e-6); the distances are averaged over windows per shift:
   LSE-D = min, LSE-C = median − min, offset = 15 − argmin (first minimum on ties); framewise
   confidence = median − distance at the best shift, median-filtered with kernel 9.
8. Several tracks of one video: Wav2Lip's script prints one "LSE-D LSE-C" line per track into
   all_scores.txt and does not combine them; the papers average those lines, which weights every
   track equally. The video's value here is the unweighted mean over its scored tracks, and every
   track's values are recorded.

Parameters and their sources: `min_track` defaults to 100, `run_pipeline.py`'s default
(joonson/syncnet_python at 6efbb1c, the version the Wav2Lip instructions clone);
syncnet-python 0.2.3's `PipelineConfig` uses 50. `min_face_size` is 100 in both. Every result
records the values that were used.

Scene detection: the original runs scenedetect 0.5.1's `ContentDetector()` (threshold 30,
min_scene_len 15) through a `VideoManager` with automatic downscaling. The installed scenedetect
(0.6.x) gives the same frame score (mean of the hue, saturation and value absolute differences,
default weights). Its default cut filter (flash filter, MERGE mode) places cuts differently, so
it is switched off (`min_scene_len=0`) and 0.5.1's rule is applied here: a cut is kept when it
comes at least 15 frames after the previous kept cut (the first cut may come at any frame).
Frames are subsampled by 0.5.1's automatic downscale factor (from the frame width) before
scoring. The detector runs on the decoded 25 fps frames in memory, with no file.

Deviations from the original, all recorded or stated here:
- No intermediate re-encoding. The original writes the 25 fps video as an mpeg4 avi and its
  frames as JPEG (used for detection), writes each track as an XVID avi and reads its frames
  back as JPEG (used by SyncNet), and passes the audio through ffmpeg several times. Here the
  decoded arrays go straight to detection and cropping, and the crops go straight to SyncNet.
  Because those codecs are lossy, values can differ slightly from the papers' runs.
- A frame rate other than 25 fps is resampled by taking the nearest source frame for each
  25 fps output time. `ffmpeg -r 25` also drops or repeats frames, but its timestamp rounding
  can pick a neighbouring frame.
- Audio goes through `talkbench.io.audio.conform_audio` (mono, soxr to 16 kHz). Float samples then
  become int16 as ffmpeg's pcm_s16le encoder converts them: round(x·32768), saturated.
- Distances are computed in float64 from SyncNet's float32 features (the original computes them
  in float32). The difference is about 1e-6.
- Tracking follows `run_pipeline.py`. A face that fails the IOU test does not end the search in
  its frame, and because the original removes faces from the list it is iterating over, the face
  right after a claimed one is not looked at in that pass. (syncnet-python 0.2.3's `_track`
  stops at the first IOU failure instead.) An IOU whose union is 0 is treated as 0, where the
  original would raise ZeroDivisionError.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal
from scipy.interpolate import interp1d

from talkbench.infra.devices import resolve_device
from talkbench.core.errors import BenchError, InputError, WeightsMissing

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
VSHIFT = 15
BATCH_SIZE = 20
PAIRWISE_EPS = 1e-6
"""`torch.nn.functional.pairwise_distance`'s eps, added to the difference before the norm."""
CONF_KERNEL = 9

FACEDET_SCALE = 0.25
FACEDET_CONF = 0.9
S3FD_MIN_INPUT = 28
"""Smallest side (px, after the 0.25 scaling) S3FDNet's deepest pooling layers accept: frames need >= 110 px."""
NUM_FAILED_DET = 25
IOU_THRESHOLD = 0.5
MIN_TRACK = 100
"""joonson/syncnet_python run_pipeline.py's --min_track default (syncnet-python 0.2.3 uses 50)."""
MIN_FACE_SIZE = 100
SMOOTH_KERNEL = 13
CROP_SCALE = 0.40
CROP_SIZE = 224
PAD_VALUE = 110

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
MAX_LISTED_REJECTS = 10
"""Rejected tracks listed in result details (spurious detections can make many)."""

PROTOCOL = (
    "syncnet_python (run_pipeline.py + Wav2Lip scores_LSE): 25 fps, S3FD scale 0.25 conf 0.9, ContentDetector shots, "
    "IOU tracking (gap 25, IOU > 0.5), median-smoothed crops (scale 0.4, pad 110, 224x224 BGR), SyncNet v2 on "
    "5-frame windows vs 20 MFCC steps, vshift 15, batch 20; LSE-D = min mean distance, LSE-C = median - min; "
    "mean over tracks; no intermediate re-encoding"
)

FaceDetector = Callable[[np.ndarray], np.ndarray]
"""RGB uint8 [H, W, 3] -> boxes [K, 5] (x1, y1, x2, y2, confidence) in pixels."""


class SyncTooShort(BenchError):
    """Too few frames or too little audio for one SyncNet window."""


# ----------------------------------------------------------------------------- SyncNet arithmetic


@dataclass
class SyncScores:
    """SyncNet result of one face track."""

    offset: int
    """Audio-video offset in frames (vshift − best shift index)."""
    lse_d: float
    """Minimum over shifts of the mean distance."""
    lse_c: float
    """Median over shifts of the mean distance, minus the minimum."""
    mean_dists: np.ndarray
    """[2·vshift + 1] mean distance per shift."""
    framewise_conf: np.ndarray
    """[N windows] median − distance at the best shift, median-filtered (kernel 9)."""
    vshift: int = VSHIFT

    @property
    def windows(self) -> int:
        """Number of SyncNet windows that were averaged."""
        return int(len(self.framewise_conf))


def sync_from_distances(dists: np.ndarray, vshift: int = VSHIFT) -> SyncScores:
    """Offset, LSE-D, LSE-C, mean-distance curve and framewise confidence from [N, 2·vshift+1] distances."""
    d = np.asarray(dists, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] != 2 * vshift + 1 or d.shape[0] < 1:
        raise ValueError(f"distances must be [N >= 1, {2 * vshift + 1}] for vshift {vshift}, got {d.shape}")
    mean_dists = d.mean(axis=0)
    best = int(np.argmin(mean_dists))  # first minimum, as torch.min does
    median = float(np.median(mean_dists))  # an odd count: the middle value, as torch.median gives
    minimum = float(mean_dists[best])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "kernel exceeds volume extent": zero padding is the original's behaviour
        framewise = signal.medfilt(median - d[:, best], kernel_size=CONF_KERNEL)
    return SyncScores(offset=vshift - best, lse_d=minimum, lse_c=median - minimum, mean_dists=mean_dists,
                      framewise_conf=np.asarray(framewise, dtype=np.float64), vshift=vshift)


def window_distances(video_feats: np.ndarray, audio_feats: np.ndarray, vshift: int = VSHIFT) -> np.ndarray:
    """[N, 2·vshift+1] distances ‖v_i − a_(i+k−vshift) + eps‖ with zero audio features beyond the ends."""
    v = np.asarray(video_feats, dtype=np.float64)
    a = np.asarray(audio_feats, dtype=np.float64)
    if v.ndim != 2 or v.shape != a.shape:
        raise ValueError(f"video and audio features must both be [N, D], got {v.shape} and {a.shape}")
    n, dim = v.shape
    width = 2 * vshift + 1
    padded = np.concatenate([np.zeros((vshift, dim)), a, np.zeros((vshift, dim))])
    shifts = np.arange(width)
    out = np.empty((n, width))
    rows = max(1, (1 << 22) // max(1, width * dim))  # bounds the [rows, width, dim] temporary to ~32 MB
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        idx = np.arange(start, stop)[:, None] + shifts[None, :]
        diff = v[start:stop, None, :] - padded[idx] + PAIRWISE_EPS
        out[start:stop] = np.sqrt(np.einsum("nkd,nkd->nk", diff, diff))
    return out


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


def count_windows(num_frames: int, num_samples: int) -> int:
    """SyncNet windows the original evaluates: min(frames, ⌊samples/640⌋) − 5."""
    return min(int(num_frames), int(num_samples) // SAMPLES_PER_FRAME) - VIDEO_WINDOW


def syncnet_features(crops_bgr: np.ndarray, mfcc: np.ndarray, net: Any, n_windows: int, device: str = "cpu",
                     batch_size: int = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """SyncNet lip and audio embeddings ([N, 1024] float32 each) of the first `n_windows` windows."""
    import torch

    net.to(device).eval()
    cc = torch.from_numpy(np.asarray(mfcc, dtype=np.float32))
    video_out, audio_out = [], []
    with torch.inference_mode():
        for start in range(0, n_windows, batch_size):
            stop = min(n_windows, start + batch_size)
            # [L, H, W, 3] uint8 -> [3, L, H, W] float: raw 0-255 BGR, as the original feeds it
            clip = torch.from_numpy(np.ascontiguousarray(crops_bgr[start:stop + VIDEO_WINDOW - 1])).permute(3, 0, 1, 2).float()
            video = torch.stack([clip[:, k:k + VIDEO_WINDOW] for k in range(stop - start)])
            audio = torch.stack([cc[:, MFCC_PER_FRAME * v:MFCC_PER_FRAME * v + MFCC_WINDOW] for v in range(start, stop)])
            video_out.append(net.forward_lip(video.to(device)).float().cpu())
            audio_out.append(net.forward_aud(audio.unsqueeze(1).to(device)).float().cpu())
    return torch.cat(video_out).numpy(), torch.cat(audio_out).numpy()


def lse_from_crops(crops_bgr: np.ndarray, audio: np.ndarray, net: Any, device: str = "cpu",
                   batch_size: int = BATCH_SIZE, vshift: int = VSHIFT) -> SyncScores:
    """SyncNet scores of one track: uint8 BGR crops [T, 224, 224, 3] and its 16 kHz audio (int16, or float in [-1, 1])."""
    crops = np.asarray(crops_bgr)
    if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3):
        raise InputError(f"SyncNet crops must be uint8 [T,{CROP_SIZE},{CROP_SIZE},3], got {crops.dtype} {crops.shape}")
    pcm = np.asarray(audio)
    pcm = pcm if pcm.dtype == np.int16 else float_to_int16(pcm)
    n_windows = count_windows(len(crops), len(pcm))
    if n_windows < 1:
        raise SyncTooShort(
            f"too short for SyncNet: {len(crops)} frames and {len(pcm) / SAMPLE_RATE:.3f} s of audio give "
            f"{max(0, n_windows + VIDEO_WINDOW)} usable frames; one window needs {VIDEO_WINDOW + 1}"
        )
    video_feats, audio_feats = syncnet_features(crops, mfcc_features(pcm), net, n_windows, device, batch_size)
    return sync_from_distances(window_distances(video_feats, audio_feats, vshift), vshift)


# ----------------------------------------------------------------------------- frames, shots, faces


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


@dataclass(frozen=True)
class Detection:
    """One face box in one frame (25 fps frame index)."""

    frame: int
    bbox: tuple[float, float, float, float]
    conf: float = 1.0


def detections_from_boxes(boxes_per_frame: Sequence[np.ndarray], first_frame: int = 0) -> list[list[Detection]]:
    """Per-frame [K, 5] (or [K, 4]) boxes to lists of Detection, frames numbered from `first_frame`."""
    out = []
    for k, boxes in enumerate(boxes_per_frame):
        arr = np.asarray(boxes, dtype=np.float64)
        rows = arr.reshape(-1, arr.shape[-1]) if arr.size else np.zeros((0, 5))
        out.append([Detection(first_frame + k, (float(b[0]), float(b[1]), float(b[2]), float(b[3])),
                              float(b[4]) if len(b) > 4 else 1.0) for b in rows])
    return out


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes; 0 when the union is empty."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def link_tracks(frame_dets: Sequence[Sequence[Detection]], num_failed_det: int = NUM_FAILED_DET,
                iou_threshold: float = IOU_THRESHOLD) -> list[list[Detection]]:
    """Greedy tracks in run_pipeline.py's order: each pass claims a chain of detections, until none is left."""
    pools = [list(faces) for faces in frame_dets]  # consumed as tracks claim detections
    tracks: list[list[Detection]] = []
    while True:
        track: list[Detection] = []
        for faces in pools:
            i = 0
            while i < len(faces):
                face = faces[i]
                if not track:
                    track.append(faces.pop(i))
                    i += 1  # the original removes while iterating: the next face is not looked at in this pass
                elif face.frame - track[-1].frame <= num_failed_det:
                    if iou(face.bbox, track[-1].bbox) > iou_threshold:
                        track.append(faces.pop(i))
                    i += 1  # after a claim this skips a face, as above; after an IOU miss it moves on
                else:
                    break
        if not track:
            return tracks
        tracks.append(track)


@dataclass
class FaceTrack:
    """A face track: every 25 fps frame from its first to its last detection, boxes interpolated."""

    frames: np.ndarray
    """int [n] consecutive frame indices."""
    bboxes: np.ndarray
    """float [n, 4] (x1, y1, x2, y2)."""
    detections: int
    """Number of real detections (the rest are interpolated)."""

    @property
    def face_size(self) -> float:
        """max(mean width, mean height) of the boxes: what min_face_size is compared with."""
        return float(max(np.mean(self.bboxes[:, 2] - self.bboxes[:, 0]), np.mean(self.bboxes[:, 3] - self.bboxes[:, 1])))


def interpolate_track(dets: Sequence[Detection]) -> FaceTrack:
    """The track over every frame between its first and last detection, boxes linearly interpolated."""
    frames = np.array([d.frame for d in dets])
    boxes = np.array([d.bbox for d in dets], dtype=np.float64)
    full = np.arange(frames[0], frames[-1] + 1)
    if len(dets) == 1:
        return FaceTrack(frames=full, bboxes=boxes.copy(), detections=1)
    interp = np.stack([interp1d(frames, boxes[:, j])(full) for j in range(4)], axis=1)
    return FaceTrack(frames=full, bboxes=interp, detections=len(dets))


@dataclass
class TrackCandidate:
    """A linked track with the verdict of run_pipeline.py's length and size tests."""

    track: FaceTrack
    kept: bool
    reason: str = ""


def track_shot(frame_dets: Sequence[Sequence[Detection]], min_track: int = MIN_TRACK, min_face_size: float = MIN_FACE_SIZE,
               num_failed_det: int = NUM_FAILED_DET, iou_threshold: float = IOU_THRESHOLD) -> list[TrackCandidate]:
    """All tracks of one shot; kept when they have > min_track detections and a face size > min_face_size."""
    out = []
    for dets in link_tracks(frame_dets, num_failed_det, iou_threshold):
        track = interpolate_track(dets)
        if len(dets) <= min_track:
            out.append(TrackCandidate(track, False, f"{len(dets)} detections, not more than min_track={min_track}"))
        elif track.face_size <= min_face_size:
            reason = f"face size {track.face_size:.1f} px, not more than min_face_size={min_face_size}"
            out.append(TrackCandidate(track, False, reason))
        else:
            out.append(TrackCandidate(track, True))
    return out


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


# ----------------------------------------------------------------------------- models

_LOCK = threading.RLock()
_MODELS: dict[tuple[str, str, str, int, str], Any] = {}
"""Built models by (weights name, device, path, mtime_ns, sha256)."""
def clear_cache() -> None:
    """Forget the built models and verified files (tests, or after reinstalling weights)."""
    from talkbench.infra import weights

    with _LOCK:
        _MODELS.clear()
    weights.forget_verified()


def _load_strict(name: str, model: Any) -> Any:
    from talkbench.infra import weights

    state = weights.load_state_dict(name, map_location="cpu")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        entry = weights.get_entry(name)
        raise WeightsMissing(f"{entry.path}: does not match the expected network ({str(exc).splitlines()[0][:160]}); "
                             f"reinstall with: {entry.install_hint()}") from exc
    return model


def _cached(name: str, device: str, build: Callable[[str], Any]) -> tuple[Any, str]:
    from talkbench.infra import weights

    path, digest = weights.verified(name)
    key = (name, device, str(path), path.stat().st_mtime_ns, digest)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = build(device)
            _MODELS[key] = model
    return model, digest


def _build_syncnet(device: str) -> Any:
    from syncnet_python.SyncNetModel import S

    return _load_strict("syncnet_v2", S()).to(device).eval()


def _build_s3fd(device: str) -> Any:
    from syncnet_python.detectors.s3fd import S3FD
    from syncnet_python.detectors.s3fd.nets import S3FDNet

    net = _load_strict("sfd_face", S3FDNet(device=device))
    return S3FD(net=net, device=device)


def load_syncnet(device: str = "cpu") -> tuple[Any, str]:
    """(SyncNet v2 `S` in eval mode on `device`, file sha256), cached per device and file."""
    return _cached("syncnet_v2", resolve_device(device), _build_syncnet)


def load_face_detector(device: str = "cpu") -> tuple[Any, str]:
    """(syncnet_python's S3FD wrapper on `device`, file sha256), cached per device and file."""
    return _cached("sfd_face", resolve_device(device), _build_s3fd)


def s3fd_detect(detector: Any, image_rgb: np.ndarray) -> np.ndarray:
    """[K, 5] face boxes of one RGB frame: S3FD at scale 0.25, confidence > 0.9, as run_pipeline.py runs it."""
    boxes = detector.detect_faces(image_rgb, conf_th=FACEDET_CONF, scales=[FACEDET_SCALE])
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 5)


@dataclass
class SyncModels:
    """The networks of one evaluation and their files' sha256 (empty for injected test doubles)."""

    syncnet: Any
    detect: FaceDetector
    device: str = "cpu"
    sha256: dict[str, str] = field(default_factory=dict)


def load_models(device: str = "cpu") -> SyncModels:
    """SyncNet v2 and S3FD from the weights registry; WeightsMissing (with the install command) when absent."""
    device = resolve_device(device)
    net, net_sha = load_syncnet(device)
    s3fd, s3fd_sha = load_face_detector(device)
    return SyncModels(syncnet=net, detect=functools.partial(s3fd_detect, s3fd), device=device,
                      sha256={"syncnet_v2": net_sha, "sfd_face": s3fd_sha})


# ----------------------------------------------------------------------------- full pipeline


@dataclass
class TrackScore:
    """One kept track's span and SyncNet scores (or why it could not be scored)."""

    first_frame: int
    last_frame: int
    detections: int
    face_size: float
    scores: SyncScores | None
    reason: str = ""

    @property
    def frames(self) -> int:
        """Frames in the track (25 fps)."""
        return self.last_frame - self.first_frame + 1

    def as_dict(self) -> dict[str, Any]:
        """Plain-type record for result details."""
        out: dict[str, Any] = {"first_frame": self.first_frame, "last_frame": self.last_frame, "frames": self.frames,
                               "detections": self.detections, "face_size": round(self.face_size, 2)}
        if self.scores is None:
            return {**out, "reason": self.reason}
        return {**out, "offset": self.scores.offset, "lse_c": self.scores.lse_c, "lse_d": self.scores.lse_d,
                "windows": self.scores.windows}


@dataclass
class LSEEvaluation:
    """Everything one LSE evaluation of a video found: per-track scores, the aggregate, counts and reasons."""

    lse_c: float | None
    lse_d: float | None
    offset: int | None
    """Offset of the primary track (the longest scored one)."""
    framewise_conf: np.ndarray | None
    """Framewise confidence of the primary track."""
    tracks: list[TrackScore]
    reason: str | None
    """Why there is no value (None when there is one)."""
    frames: int
    """Frames at 25 fps."""
    fps: float
    """Frame rate of the input."""
    frames_with_detection: int | None
    """Frames where S3FD found a face (None when detection did not run)."""
    tracks_found: int
    shots: list[tuple[int, int]]
    min_track: int
    min_face_size: float
    scene_detection: str
    device: str
    sha256: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """Rejected tracks (most detections first): span, detections, face size and the test they failed."""

    @property
    def available(self) -> bool:
        """True when LSE-C and LSE-D have values."""
        return self.reason is None and self.lse_c is not None

    @property
    def tracks_kept(self) -> int:
        """Tracks that passed the length and size tests."""
        return len(self.tracks)

    def details(self) -> dict[str, Any]:
        """Protocol facts and per-track values for `MetricResult.details` (plain types only)."""
        import syncnet_python

        return {
            "protocol": PROTOCOL,
            "offset": self.offset,
            "aggregation": "mean over scored tracks (Wav2Lip's all_scores.txt has one line per track)",
            "tracks": [t.as_dict() for t in self.tracks],
            "tracks_found": self.tracks_found,
            "tracks_kept": self.tracks_kept,
            "tracks_rejected": self.candidates[:MAX_LISTED_REJECTS],
            "tracks_rejected_count": len(self.candidates),
            "frames": self.frames,
            "fps": float(self.fps),
            "frame_rate": (f"{FRAME_RATE} fps" if abs(self.fps - FRAME_RATE) < 1e-6
                           else f"resampled {self.fps:g} -> {FRAME_RATE} fps (nearest frame)"),
            "frames_with_detection": self.frames_with_detection,
            "shots": [list(s) for s in self.shots],
            "min_track": self.min_track,
            "min_track_source": ("syncnet_python run_pipeline.py default" if self.min_track == MIN_TRACK
                                 else f"option (run_pipeline.py default is {MIN_TRACK}; syncnet-python 0.2.3 uses 50)"),
            "min_face_size": self.min_face_size,
            "scene_detection": self.scene_detection,
            "vshift": VSHIFT,
            "syncnet_python": syncnet_python.__version__,
            "weights_sha256": {k: v[:12] for k, v in self.sha256.items()},
            "device": self.device,
            "notes": list(self.notes),
        }


class _FrameView(Sequence[np.ndarray]):
    """The 25 fps frames of a clip, picked by `index` and converted to BGR (or kept RGB) on access."""

    def __init__(self, frames: np.ndarray, index: np.ndarray, bgr: bool) -> None:
        self._frames, self._index, self._bgr = frames, index, bgr

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, i):  # type: ignore[override]
        if not isinstance(i, (int, np.integer)):
            raise TypeError("frame views are indexed one frame at a time")
        frame = self._frames[self._index[i]]
        return np.ascontiguousarray(frame[..., ::-1] if self._bgr else frame)


def _check_frames(frames_rgb: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames_rgb)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise InputError(f"LSE needs uint8 RGB frames [T,H,W,3], got {frames.dtype} {frames.shape}")
    return frames


def _no_track_reason(n_frames: int, n_detected: int, shots: list[tuple[int, int]], candidates: list[TrackCandidate],
                     min_track: int, min_face_size: float) -> str:
    head = (f"no face track: S3FD (conf > {FACEDET_CONF}, scale {FACEDET_SCALE}) found a face in {n_detected} of "
            f"{n_frames} frames (25 fps)")
    if n_detected == 0:
        return head + "; LSE needs a visible face in the render"
    longest_shot = max(e - s for s, e in shots)
    if longest_shot < min_track:
        return (head + f"; scene detection split the clip into {len(shots)} shots, the longest {longest_shot} frames, "
                f"and shots shorter than min_track={min_track} are not tracked")
    if not candidates:
        return head + f"; none of them lies in a shot of at least min_track={min_track} frames"
    best = max(candidates, key=lambda c: (c.track.detections, c.track.face_size))
    t = best.track
    return (head + f"; the longest track has {t.detections} detections (frames {t.frames[0]}-{t.frames[-1]}; a track needs "
            f"more than min_track={min_track}) and a mean face size of {t.face_size:.0f} px (min_face_size "
            f"{min_face_size:g} px)")


def evaluate_lse(frames_rgb: np.ndarray, audio: np.ndarray, fps: float, sample_rate: int, device: str = "cpu",
                 min_track: int = MIN_TRACK, min_face_size: float = MIN_FACE_SIZE, *, scene_detection: bool = True,
                 batch_size: int = BATCH_SIZE, models: SyncModels | None = None, source: str = "") -> LSEEvaluation:
    """LSE-C / LSE-D of a video (uint8 RGB frames and its float audio) with the full syncnet_python pipeline.

    Models come from the weights registry unless `models` is given (WeightsMissing when absent).
    A video the protocol cannot score (too short, no face track, too little audio) comes back
    with `reason` set and no values; it is never scored 0.
    """
    from talkbench.io.audio import conform_audio

    frames = _check_frames(frames_rgb)
    models = models if models is not None else load_models(device)
    name = source or "video"
    mono, notes = conform_audio(np.asarray(audio), int(sample_rate), name)
    pcm = float_to_int16(mono)
    index = resample_indices(len(frames), fps)
    n = len(index)
    if abs(float(fps) - FRAME_RATE) >= 1e-6:
        notes.append(f"{name}: {len(frames)} frames at {fps:g} fps resampled to {n} frames at {FRAME_RATE} fps (nearest frame)")
    if abs(len(pcm) / SAMPLE_RATE - n / FRAME_RATE) >= 1 / FRAME_RATE:
        notes.append(f"{name}: audio {len(pcm) / SAMPLE_RATE:.3f} s, video {n / FRAME_RATE:.3f} s; SyncNet uses the shorter")

    bgr = _FrameView(frames, index, bgr=True)  # converted one frame at a time: no copy of the whole clip
    rgb = _FrameView(frames, index, bgr=False)

    result = LSEEvaluation(
        lse_c=None, lse_d=None, offset=None, framewise_conf=None, tracks=[], reason=None, frames=n, fps=float(fps),
        frames_with_detection=None, tracks_found=0, shots=[], min_track=int(min_track), min_face_size=min_face_size,
        scene_detection=SCENE_HANDLING if scene_detection else ONE_SHOT, device=models.device, sha256=dict(models.sha256),
        notes=notes,
    )
    if n <= min_track:
        result.reason = (
            f"clip too short for the protocol: {n} frames at 25 fps ({n / FRAME_RATE:.2f} s), and only face tracks of more "
            f"than min_track={min_track} frames are scored (run_pipeline.py's default is {MIN_TRACK}; the lse_min_track "
            "option lowers it, outside the papers' protocol)"
        )
        return result

    height, width = frames.shape[1:3]
    if min(round(height * FACEDET_SCALE), round(width * FACEDET_SCALE)) < S3FD_MIN_INPUT:
        result.reason = (
            f"frames of {width}x{height} px are too small for the protocol: S3FD at scale {FACEDET_SCALE} needs at "
            f"least 110 px on each side, and a face track needs faces larger than min_face_size={min_face_size:g} px"
        )
        return result

    result.shots = detect_shots(bgr) if scene_detection else [(0, n)]
    dets = detections_from_boxes([models.detect(rgb[i]) for i in range(n)])
    result.frames_with_detection = sum(1 for faces in dets if faces)

    candidates: list[TrackCandidate] = []
    for start, end in result.shots:
        if end - start >= min_track:  # run_pipeline.py tracks only shots at least min_track frames long
            candidates.extend(track_shot(dets[start:end], min_track, min_face_size))
    result.tracks_found = len(candidates)
    rejected = sorted((c for c in candidates if not c.kept), key=lambda c: -c.track.detections)
    result.candidates = [{"first_frame": int(c.track.frames[0]), "last_frame": int(c.track.frames[-1]),
                          "detections": c.track.detections, "face_size": round(c.track.face_size, 2), "reason": c.reason}
                         for c in rejected]
    kept = [c.track for c in candidates if c.kept]
    if not kept:
        result.reason = _no_track_reason(n, result.frames_with_detection, result.shots, candidates, min_track, min_face_size)
        return result

    for track in kept:
        first, last = int(track.frames[0]), int(track.frames[-1])
        try:
            scores = lse_from_crops(crop_track(bgr, track), track_audio(pcm, track), models.syncnet,
                                    models.device, batch_size, VSHIFT)
            result.tracks.append(TrackScore(first, last, track.detections, track.face_size, scores))
        except SyncTooShort as exc:
            result.tracks.append(TrackScore(first, last, track.detections, track.face_size, None, str(exc)))
    scored = [t for t in result.tracks if t.scores is not None]
    if not scored:
        result.reason = f"no face track could be scored: {result.tracks[0].reason}"
        return result
    result.lse_c = float(np.mean([t.scores.lse_c for t in scored]))  # type: ignore[union-attr]
    result.lse_d = float(np.mean([t.scores.lse_d for t in scored]))  # type: ignore[union-attr]
    primary = max(scored, key=lambda t: t.frames)  # first of the longest on ties
    result.offset = primary.scores.offset  # type: ignore[union-attr]
    result.framewise_conf = primary.scores.framewise_conf  # type: ignore[union-attr]
    return result


__all__ = [
    "BATCH_SIZE", "FRAME_RATE", "MIN_FACE_SIZE", "MIN_TRACK", "PROTOCOL", "VSHIFT", "Detection", "FaceTrack",
    "LSEEvaluation", "SyncModels", "SyncScores", "SyncTooShort", "TrackCandidate", "TrackScore", "clear_cache",
    "count_windows", "crop_face", "crop_track", "detect_shots", "detections_from_boxes", "evaluate_lse",
    "float_to_int16", "interpolate_track", "iou", "link_tracks", "load_face_detector", "load_models", "load_syncnet",
    "lse_from_crops", "mfcc_features", "resample_indices", "resolve_device", "s3fd_detect", "smooth_track",
    "sync_from_distances", "syncnet_features", "track_audio", "track_shot", "window_distances",
]
