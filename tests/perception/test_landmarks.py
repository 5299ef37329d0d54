"""Landmark backends (`talkbench.perception.landmarks`): the mediapipe mapping lands on the face, FAN loads only from the registry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.metric import MetricContext
from talkbench.core.types import Video
from talkbench.metrics.face.lmd import LMD
from talkbench.perception import landmarks as lm

def test_mediapipe_mapping_puts_the_mouth_points_on_the_mouth(astronaut_face: np.ndarray) -> None:
    # The card measured the mouth on the source photo: centre (223, 146), 42 px corner to corner.
    points = lm.landmarks(astronaut_face[None], "mediapipe").points[0]
    mouth = points[48:68] + np.array([70.0, 0.0])  # back to source-photo pixels
    assert np.linalg.norm(mouth.mean(axis=0) - [223.0, 146.0]) < 5.0
    assert 34.0 < np.linalg.norm(mouth[6] - mouth[0]) < 50.0  # corners 48 and 54
    assert mouth[0, 0] < mouth[3, 0] < mouth[6, 0]  # 48 left of 51 left of 54
    assert mouth[3, 1] < mouth[14, 1] <= mouth[18, 1] < mouth[9, 1]  # 51 above 62, 62 above 66, 66 above 57
    eyes = points[36:48] + np.array([70.0, 0.0])
    assert np.linalg.norm(eyes[:6].mean(axis=0) - [203.0, 101.0]) < 6.0  # iBUG 36-41: the image's left eye
    assert np.linalg.norm(eyes[6:].mean(axis=0) - [247.0, 103.0]) < 6.0


@pytest.mark.slow
def test_fan_loads_from_the_registry_and_never_downloads(bench_home: Path, tmp_path: Path, astronaut_face: np.ndarray,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from face_alignment.detection.sfd.net_s3fd import s3fd
    from face_alignment.models import FAN

    import face_alignment.utils
    from talkbench.infra import weights

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"download attempted: {args}")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    monkeypatch.setattr(face_alignment.utils, "download_url_to_file", no_download)
    torch.manual_seed(0)
    detector = s3fd()
    with torch.no_grad():  # a random detector that sees no face anywhere: keeps the test fast and deterministic
        for pname, param in detector.named_parameters():
            if "mbox_conf" in pname:
                param.zero_()
                if pname.endswith("bias"):
                    param[:-1] = 10.0
                    param[-1] = -10.0
    for name, net in (("fan_s3fd", detector), ("fan_2dfan4", FAN(4))):
        path = tmp_path / weights.ENTRIES[name].filename
        torch.save(net.state_dict(), path)
        monkeypatch.setitem(weights.ENTRIES, name, dataclasses.replace(weights.ENTRIES[name], sha256=weights.sha256_of(path)))
        weights.install(name, str(path))
    lm.clear_cache()
    small = astronaut_face[None, ::2, ::2].copy()
    track = lm.landmarks(small, "fan")
    assert track.points.shape == (1, 68, 2) and track.settings["backend"] == "fan"
    assert np.isnan(track.points).all()  # that detector finds no face; and nothing was fetched
    result = LMD().compute(Video(small, 25.0), Video(small.copy(), 25.0), MetricContext(options={"landmarks": "fan"}))
    assert not result.available and "no face" in result.unavailable_reason and "fan" in result.unavailable_reason
