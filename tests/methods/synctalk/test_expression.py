"""SyncTalk's upper-face expression features (methods/synctalk/expression.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def _face(brow_lift: float = 0.0, eye_open: float = 1.0) -> np.ndarray:
    from talkbench.face3d.template import TEMPLATE_68

    lm = TEMPLATE_68[:, :2].astype(np.float64) * 1000 + 200  # frontal template in px
    lm[17:27, 1] -= brow_lift
    for eye in (slice(36, 42), slice(42, 48)):
        centre = lm[eye, 1].mean()
        lm[eye, 1] = centre + (lm[eye, 1] - centre) * eye_open
    return lm


def test_landmark_expression_responds_to_brows_and_blinks() -> None:
    from talkbench.methods.synctalk.expression import BLENDSHAPE_NAMES, landmark_expression

    frames = np.stack([_face(), _face(brow_lift=6.0), _face(), _face(eye_open=0.1), _face(), _face(), _face()])
    feats = landmark_expression(frames)
    assert feats.shape == (7, len(BLENDSHAPE_NAMES))
    inner, blink_l = BLENDSHAPE_NAMES.index("browInnerUp"), BLENDSHAPE_NAMES.index("eyeBlinkLeft")
    assert np.argmax(feats[:, inner]) == 1        # brows raised in frame 1
    assert np.argmax(feats[:, blink_l]) == 3      # eyes closed in frame 3
    with pytest.raises(ValueError):
        landmark_expression(np.zeros((3, 10, 2)))


def test_upper_face_features_fall_back_to_landmarks_without_the_model(bench_home: Path) -> None:
    from talkbench.methods.synctalk.expression import upper_face_features

    lm = np.stack([_face()] * 6)
    feats, source = upper_face_features(np.zeros((6, 8, 8, 3), np.uint8), {"landmarks": lm})
    assert feats.shape == (6, 7) and "face_landmarker.task not installed" in source and "fallback" in source
