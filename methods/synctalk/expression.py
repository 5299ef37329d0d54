"""SyncTalk's upper-face expression features (the Facial Animation Capturer), with an offline fallback.

SyncTalk conditions the head on seven of MediaPipe FaceLandmarker's 52 blendshape coefficients
that move the brows, forehead and eyes but not the lips: browDownLeft, browDownRight,
browInnerUp, browOuterUpLeft, browOuterUpRight, eyeBlinkLeft, eyeBlinkRight (`bs_area
"upper"`: columns 0-4 and 8-9 of its `bs.npy`, which drops `_neutral`), each track smoothed with a
Savitzky–Golay filter (window 5, order 3).

* `blendshapes`: those seven from the FaceLandmarker model file (`bench weights install
  face_landmarker`), run per frame in IMAGE mode (MediaPipe 0.10.21's Tasks API, offline).
* `landmarks` (the fallback, used when the model is not installed): the same seven quantities
  measured on the 68 iBUG landmarks, in the face's own frame (x along the eye line, unit =
  the distance between the eye centres, so scale and roll drop out): a brow's height above its
  eye's centre (negated for browDown), the inner brows' mean height (browInnerUp), an outer brow
  point's height (browOuterUp), and 1 − EAR / median EAR per eye (eyeBlink). MediaPipe's "Left" is
  the subject's left, i.e. the image's right: iBUG 22-26 and 42-47.

The trainer scales every column to [0, 1] over the training frames, as it does ER-NeRF's eye value.
Which source was used is recorded in the checkpoint and the run's config.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.signal import savgol_filter

BLENDSHAPE_NAMES = ("browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
                    "eyeBlinkLeft", "eyeBlinkRight")
"""The seven upper-face coefficients SyncTalk uses, in its column order."""

_SUBJECT_RIGHT_BROW = np.arange(17, 22)   # image left
_SUBJECT_LEFT_BROW = np.arange(22, 27)    # image right
_SUBJECT_RIGHT_EYE = np.arange(36, 42)
_SUBJECT_LEFT_EYE = np.arange(42, 48)


def _smooth(values: np.ndarray) -> np.ndarray:
    """SyncTalk's Savitzky–Golay (5, 3) per column; shorter clips are left as they are."""
    if len(values) < 5:
        return values
    return savgol_filter(values, 5, 3, axis=0)


def landmark_expression(landmarks: np.ndarray) -> np.ndarray:
    """The seven upper-face features of the module docstring from iBUG-68 landmarks [T, 68, 2] -> float32 [T, 7]."""
    lm = np.asarray(landmarks, np.float64)
    if lm.ndim != 3 or lm.shape[1:] != (68, 2):
        raise ValueError(f"landmark_expression: landmarks must be [T, 68, 2], got {lm.shape}")
    right_eye_c = lm[:, _SUBJECT_RIGHT_EYE].mean(axis=1)
    left_eye_c = lm[:, _SUBJECT_LEFT_EYE].mean(axis=1)
    axis_x = left_eye_c - right_eye_c
    scale = np.maximum(np.linalg.norm(axis_x, axis=-1, keepdims=True), 1e-6)
    axis_x = axis_x / scale
    axis_up = np.stack([axis_x[:, 1], -axis_x[:, 0]], axis=-1)  # image y points down: "up" is x rotated by -90°

    def height(points: np.ndarray, eye_centre: np.ndarray) -> np.ndarray:
        return ((points - eye_centre[:, None]) * axis_up[:, None]).sum(-1) / scale

    right_brow = height(lm[:, _SUBJECT_RIGHT_BROW], right_eye_c)
    left_brow = height(lm[:, _SUBJECT_LEFT_BROW], left_eye_c)
    inner = 0.5 * (right_brow[:, -1] + left_brow[:, 0])       # iBUG 21 and 22
    from talkbench.perception.eyes import eye_aspect_ratios

    ratios = eye_aspect_ratios(lm)              # image-left eye (the subject's right), image-right eye
    ear_r, ear_l = ratios[:, 0], ratios[:, 1]
    blink_l = 1.0 - ear_l / max(float(np.median(ear_l)), 1e-6)
    blink_r = 1.0 - ear_r / max(float(np.median(ear_r)), 1e-6)
    feats = np.stack([-left_brow.mean(1), -right_brow.mean(1), inner, left_brow[:, -1], right_brow[:, 0], blink_l, blink_r], axis=-1)
    return _smooth(feats).astype(np.float32)


def blendshape_expression(frames: np.ndarray, model_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The seven coefficients per frame from MediaPipe's FaceLandmarker: (float32 [T, 7], found [T] bool).

    Frames without a face get the previous frame's values (the first found one's at the start).
    """
    import mediapipe as mp

    from talkbench.zoo.mediapipe import create_face_landmarker

    out = np.zeros((len(frames), len(BLENDSHAPE_NAMES)), np.float32)
    found = np.zeros(len(frames), bool)
    with create_face_landmarker(model_path) as detector:  # its C++ log lines silenced
        for i, frame in enumerate(frames):
            result = detector.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame)))
            if not result.face_blendshapes:
                continue
            scores = {c.category_name: c.score for c in result.face_blendshapes[0]}
            out[i] = [scores.get(name, 0.0) for name in BLENDSHAPE_NAMES]
            found[i] = True
    if found.any():
        last = out[np.argmax(found)]
        for i in range(len(out)):
            if found[i]:
                last = out[i]
            else:
                out[i] = last
    return _smooth(out).astype(np.float32), found


def upper_face_features(frames: np.ndarray, annotations: dict[str, np.ndarray]) -> tuple[np.ndarray, str]:
    """SyncTalk's seven expression features [T, 7] and their source (blendshapes when installed, else landmarks)."""
    from talkbench.infra import weights

    state, _ = weights.status("face_landmarker")
    if state == "installed":
        path, digest = weights.verified("face_landmarker")
        feats, found = blendshape_expression(frames, path)
        if found.any():
            return feats, f"MediaPipe FaceLandmarker blendshapes (face_landmarker.task sha256 {digest[:12]}; {int((~found).sum())} frames without a face held)"
    if "landmarks" not in annotations:
        raise ValueError("expression features need the FaceLandmarker model (bench weights install face_landmarker) "
                         "or landmarks in the clip's annotations (bench data prepare)")
    reason = "face_landmarker.task not installed" if state != "installed" else "FaceLandmarker found no face"
    return landmark_expression(annotations["landmarks"]), f"landmark-derived brow/eye features ({reason}; fallback)"
