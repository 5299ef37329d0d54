"""Pass `landmarks`: 68 iBUG points per frame, frames without a face filled.

`talkbench.perception.landmarks.landmarks` with backend `mediapipe` by default (the face mesh bundled in its
wheel, offline) or `fan` (face_alignment's 2D-FAN-4, the official scripts' landmarks, when its weights are
installed). Frames without a face are filled by linear interpolation between the neighbouring frames with
one (held at the ends) and counted in `meta["landmarks"]`. No face in any frame, or more than `max_missing`
of the frames without one, is an `InputError` naming the video (and the first frames without a face).

Provides `landmarks` (float32, filled; a float64 twin for the later passes of the run) and the transient
`landmarks_detected` (the backend's points, NaN where no face: the head-pose fits interpolate poses, not points).
"""

from __future__ import annotations

import numpy as np

from talkbench.core.errors import BenchError, InputError
from talkbench.prepare.pipeline import AnnotationPass, PassInputs, PassResult


def frame_list(indices: np.ndarray, limit: int = 5) -> str:
    """'3, 4, 9, …': the first `limit` frame indices, for one-line messages."""
    shown = ", ".join(str(int(i)) for i in indices[:limit])
    return shown + (", …" if len(indices) > limit else "")


def fill_missing(points: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Landmarks [T,68,2] with frames where `found` is False linearly interpolated (held at the ends)."""
    pts = np.asarray(points, np.float64)
    found = np.asarray(found, bool)
    if not found.any():
        raise BenchError("fill_missing: no frame has landmarks")
    t = np.arange(len(pts))
    flat = pts.reshape(len(pts), -1).copy()
    for d in range(flat.shape[1]):
        flat[:, d] = np.interp(t, t[found], flat[found, d])
    return flat.reshape(pts.shape)


def check_faces(found: np.ndarray, source: str, backend: str, max_missing: float) -> None:
    """Raise a one-line InputError naming `source` when no frame, or too large a fraction, has a face."""
    n = len(found)
    missing = np.flatnonzero(~np.asarray(found, bool))
    if len(missing) == n:
        raise InputError(f"{source}: no face found in any of its {n} frames (landmarks: {backend})")
    if len(missing) > max_missing * n:
        raise InputError(f"{source}: no face found in {len(missing)} of {n} frames ({100 * len(missing) / n:.0f} %, more than "
                         f"the {100 * max_missing:g} % allowed; landmarks: {backend}), first at frames {frame_list(missing)}")


class LandmarksPass(AnnotationPass):
    """68 iBUG landmarks per frame (module docstring)."""

    name = "landmarks"
    provides = frozenset({"landmarks", "landmarks_detected"})
    options = ("landmarks", "max_missing", "device")

    def check(self, inputs: PassInputs) -> None:
        """`max_missing` must be a fraction below 1."""
        if not 0.0 <= inputs.options.max_missing < 1.0:
            raise BenchError(f"max_missing must be in [0, 1), got {inputs.options.max_missing}")

    def run(self, inputs: PassInputs) -> PassResult:
        """Detect, check the faceless frames, fill them."""
        from talkbench.perception.landmarks import landmarks as detect_landmarks

        o, source, n = inputs.options, inputs.source, inputs.num_frames
        try:
            track = detect_landmarks(inputs.frames, o.landmarks, o.device)
        except BenchError:
            raise
        except Exception as exc:  # a backend's own failure (mediapipe graph, torch): name the video
            raise InputError(f"{source}: landmark detection ({o.landmarks}) failed: {type(exc).__name__}: {exc}") from exc
        found = track.found
        check_faces(found, source, o.landmarks, o.max_missing)
        missing = np.flatnonzero(~found)
        notes = []
        if len(missing):
            notes.append(f"{source}: no face in {len(missing)} of {n} frames (first at frames {frame_list(missing)}): "
                         "landmarks interpolated from the neighbouring frames")
        points = fill_missing(track.points, found)
        meta = {"landmarks": {**track.settings, "frames_without_face": int(len(missing)),
                              "first_frames_without_face": [int(i) for i in missing[:20]],
                              "filled": "linear interpolation between neighbouring frames, held at the ends"}}
        return PassResult(annotations={"landmarks": points.astype(np.float32)}, meta=meta, notes=notes,
                          working={"landmarks": points, "landmarks_detected": track.points})
