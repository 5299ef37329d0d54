"""Eye geometry of 68 iBUG landmarks: the eye aspect ratio of Soukupová & Čech (2016, "Real-Time Eye Blink
Detection using Facial Landmarks").

EAR = (‖p2 − p6‖ + ‖p3 − p5‖) / (2 ‖p1 − p4‖) with p1…p6 = iBUG 36…41 (the eye on the image's left) and
42…47 (the one on its right): p1, p4 the corners, p2, p3 the upper and p6, p5 the lower lid points. About
0.25–0.35 for an open eye and near 0 when closed; scale and rotation invariant. The ER-NeRF family feeds an
eye feature like it to the network (their official data use OpenFace's AU45 instead); SyncTalk's
landmark-derived upper-face features use each eye's ratio (`talkbench.methods.synctalk.expression`).
"""

from __future__ import annotations

import numpy as np

from talkbench.core.errors import BenchError

LEFT_EYE = (36, 37, 38, 39, 40, 41)
"""iBUG indices p1…p6 of the eye on the image's left (the subject's right eye)."""
RIGHT_EYE = (42, 43, 44, 45, 46, 47)
"""iBUG indices p1…p6 of the eye on the image's right."""


def eye_aspect_ratios(points: np.ndarray) -> np.ndarray:
    """Eye aspect ratio of each eye of landmarks [...,68,2] → [..., 2] (the image-left eye, then the image-right one)."""
    pts = np.asarray(points, np.float64)
    if pts.shape[-2:] != (68, 2):
        raise BenchError(f"eye_aspect_ratio needs landmarks [...,68,2], got {pts.shape}")
    ratios = []
    for eye in (LEFT_EYE, RIGHT_EYE):
        p1, p2, p3, p4, p5, p6 = (pts[..., i, :] for i in eye)
        vertical = np.linalg.norm(p2 - p6, axis=-1) + np.linalg.norm(p3 - p5, axis=-1)
        horizontal = 2.0 * np.linalg.norm(p1 - p4, axis=-1)
        ratios.append(vertical / np.maximum(horizontal, 1e-9))
    return np.stack(ratios, axis=-1)


def eye_aspect_ratio(points: np.ndarray) -> np.ndarray:
    """Mean eye aspect ratio of both eyes of landmarks [...,68,2] → [...] (`eye_aspect_ratios`)."""
    ratios = eye_aspect_ratios(points)
    return 0.5 * (ratios[..., 0] + ratios[..., 1])
