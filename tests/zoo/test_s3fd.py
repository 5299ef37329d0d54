"""S3FD (`talkbench.zoo.s3fd`): the detector from the registry, called as run_pipeline.py calls it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import WeightsMissing
from talkbench.zoo.s3fd import FACEDET_CONF, FACEDET_SCALE, load_face_detector, s3fd_detect


def test_missing_detector_says_how_to_install(bench_home: Path) -> None:
    with pytest.raises(WeightsMissing, match="bench weights install sfd_face"):
        load_face_detector("cpu")


def test_detector_is_cached_and_called_with_run_pipelines_settings(sync_env, random_s3fd_file) -> None:
    from talkbench.infra import weights

    weights.install("sfd_face", str(random_s3fd_file))
    detector, digest = load_face_detector("cpu")
    assert load_face_detector("cpu")[0] is detector and digest == weights.verified("sfd_face")[1]
    boxes = s3fd_detect(detector, np.full((112, 112, 3), 128, np.uint8))  # the smallest frame S3FD takes at 0.25
    assert boxes.dtype == np.float64 and boxes.ndim == 2 and boxes.shape[1] == 5

    calls: list[dict] = []

    class Recorder:
        def detect_faces(self, image, conf_th, scales):
            calls.append({"conf_th": conf_th, "scales": scales})
            return [[1.0, 2.0, 3.0, 4.0, 0.95]]

    assert s3fd_detect(Recorder(), np.zeros((8, 8, 3), np.uint8)).tolist() == [[1.0, 2.0, 3.0, 4.0, 0.95]]
    assert calls == [{"conf_th": FACEDET_CONF, "scales": [FACEDET_SCALE]}] and (FACEDET_CONF, FACEDET_SCALE) == (0.9, 0.25)
