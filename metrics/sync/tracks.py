"""Face tracks within a shot, as joonson/syncnet_python's `run_pipeline.py` links S3FD detections.

Greedy, in frame order: a detection joins the current track when it is at most 25 frames after the
track's last detection and their IOU is > 0.5. A track is kept when it has more than `min_track`
detections and, after linear interpolation of the boxes over the missed frames, max(mean width, mean
height) > `min_face_size` pixels. `min_track` defaults to 100, `run_pipeline.py`'s default
(joonson/syncnet_python at 6efbb1c, the version the Wav2Lip instructions clone); syncnet-python
0.2.3's `PipelineConfig` uses 50. `min_face_size` is 100 in both.

A face that fails the IOU test does not end the search in its frame, and because the original removes
faces from the list it is iterating over, the face right after a claimed one is not looked at in that
pass. (syncnet-python 0.2.3's `_track` stops at the first IOU failure instead.) An IOU whose union is 0
is treated as 0, where the original would raise ZeroDivisionError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import interp1d

NUM_FAILED_DET = 25
IOU_THRESHOLD = 0.5
MIN_TRACK = 100
"""joonson/syncnet_python run_pipeline.py's --min_track default (syncnet-python 0.2.3 uses 50)."""
MIN_FACE_SIZE = 100


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
