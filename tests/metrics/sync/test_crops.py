"""SyncNet's face crops (`talkbench.metrics.sync.crops`): run_pipeline.py's crop geometry and median smoothing."""

from __future__ import annotations

import numpy as np

from talkbench.metrics.sync.crops import crop_face, smooth_track


def test_crop_face_geometry_inside_and_at_the_border() -> None:
    import cv2

    frame = np.random.default_rng(0).integers(0, 256, (200, 240, 3), dtype=np.uint8)
    # box (60, 50)-(140, 130): s = 40, centre (100, 90); rows [90-40, 90+72), cols [100-56, 100+56)
    got = crop_face(frame, 40.0, 100.0, 90.0)
    np.testing.assert_array_equal(got, cv2.resize(frame[50:162, 44:156], (224, 224)))
    # box (0, 0)-(40, 40): s = 20, centre (20, 20); cols [-8, 48): 8 grey columns on the left
    region = np.full((56, 56, 3), 110, np.uint8)
    region[:, 8:] = frame[0:56, 0:48]
    np.testing.assert_array_equal(crop_face(frame, 20.0, 20.0, 20.0), cv2.resize(region, (224, 224)))


def test_smooth_track_removes_a_one_frame_jump() -> None:
    boxes = np.tile([60.0, 50.0, 140.0, 130.0], (15, 1))
    boxes[7] += 30.0
    s, x, y = smooth_track(boxes)
    np.testing.assert_allclose(s, 40.0)
    np.testing.assert_allclose(x, 100.0)
    np.testing.assert_allclose(y, 90.0)
