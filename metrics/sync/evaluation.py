"""SyncNet v2 lip-sync evaluation (LSE-C / LSE-D) with the protocol the papers ran.

What the papers ran is joonson/syncnet_python's `run_pipeline.py` (face tracks) followed by
Wav2Lip's `evaluation/scores_LSE/calculate_scores_real_videos.py` (SyncNet on each track).
`evaluate_lse` reproduces it on decoded arrays, with the `syncnet-python` package's networks
(`SyncNetModel.S`, `detectors.s3fd.S3FD` / `S3FDNet`, built by `talkbench.zoo.syncnet` / `talkbench.zoo.s3fd`)
and one module per step (`shots`, `tracks`, `crops`, `scoring` of `talkbench.metrics.sync`):

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from talkbench.core.errors import InputError
from talkbench.infra.devices import resolve_device
from talkbench.metrics.sync.crops import crop_track, track_audio
from talkbench.metrics.sync.scoring import BATCH_SIZE, VSHIFT, SyncScores, SyncTooShort, lse_from_crops
from talkbench.metrics.sync.shots import ONE_SHOT, SCENE_HANDLING, detect_shots, resample_indices
from talkbench.metrics.sync.tracks import MIN_FACE_SIZE, MIN_TRACK, TrackCandidate, detections_from_boxes, track_shot
from talkbench.zoo.s3fd import FACEDET_CONF, FACEDET_SCALE, S3FD_MIN_INPUT, load_face_detector, s3fd_detect
from talkbench.zoo.syncnet import FRAME_RATE, SAMPLE_RATE, float_to_int16, load_syncnet

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
