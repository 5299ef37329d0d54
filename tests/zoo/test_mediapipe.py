"""MediaPipe networks (`talkbench.zoo.mediapipe`): the face mesh -> iBUG 68 map, and the Face Landmarker's entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.core.errors import WeightsMissing
from talkbench.infra import weights
from talkbench.zoo.mediapipe import MESH_TO_IBUG68, create_face_landmarker


def test_mesh_map_has_68_distinct_vertices_and_a_mirrored_jaw() -> None:
    assert len(MESH_TO_IBUG68) == 68 and len(set(MESH_TO_IBUG68)) == 68
    assert all(0 <= v < 468 for v in MESH_TO_IBUG68)
    jaw = MESH_TO_IBUG68[:17]
    pairs = {(127, 356), (234, 454), (93, 323), (132, 361), (58, 288), (172, 397), (136, 365), (149, 378)}
    assert {(jaw[i], jaw[16 - i]) for i in range(8)} == pairs and jaw[8] == 152  # mirror pairs, the chin in the middle
    assert MESH_TO_IBUG68[48:60] == (61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181)  # outer lip, clockwise


def test_face_landmarker_is_an_entry_and_needs_its_file(bench_home: Path) -> None:
    entry = weights.get_entry("face_landmarker")
    assert entry.filename == "face_landmarker.task" and entry.url.startswith("https://storage.googleapis.com/mediapipe-models/")
    assert weights.status("face_landmarker")[0] == "missing"
    with pytest.raises(WeightsMissing, match="bench weights install face_landmarker"):
        create_face_landmarker()


NATIVE_LOG = ("W0000", "inference_feedback_manager", "XNNPACK", "absl::InitializeLog")
"""Pieces of the lines MediaPipe's C++ graph writes to fd 2 (each graph writes some of them when built and run)."""


def _astronaut() -> "np.ndarray":
    import numpy as np
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[0:320:2, 70:390:2])


def test_the_graphs_native_log_lines_stay_off_fd2_and_python_stderr_gets_through(capfd: pytest.CaptureFixture[str]) -> None:
    """capfd reads fd 2 itself: MediaPipe's lines would show there, and do when the graph is built unsilenced."""
    import sys

    from talkbench.zoo.mediapipe import _mediapipe, face_mesh, selfie_segmentation

    frame = _astronaut()
    with face_mesh() as mesh:
        print("ours, during the graph's life", file=sys.stderr)
        assert mesh.process(frame).multi_face_landmarks
    with selfie_segmentation(0) as seg:
        assert seg.process(frame).segmentation_mask.shape == frame.shape[:2]
    err = capfd.readouterr().err
    assert not any(piece in err for piece in NATIVE_LOG), err
    assert "ours, during the graph's life" in err
    with _mediapipe().solutions.face_mesh.FaceMesh(static_image_mode=True) as raw:  # the same graph, unsilenced
        raw.process(frame)
    assert any(piece in capfd.readouterr().err for piece in NATIVE_LOG), "MediaPipe logged nothing: the check above is void"


def test_fd2_comes_back_after_nested_and_failed_windows(capfd: pytest.CaptureFixture[str]) -> None:
    import os

    from talkbench.infra.native_logs import native_stderr_silenced
    from talkbench.zoo.mediapipe import QuietGraph

    with native_stderr_silenced():
        with native_stderr_silenced():
            os.write(2, b"dropped inner\n")
        os.write(2, b"dropped outer\n")
    os.write(2, b"kept after\n")
    with pytest.raises(RuntimeError):
        QuietGraph(lambda: (_ for _ in ()).throw(RuntimeError("build failed")))
    os.write(2, b"kept after a failed build\n")
    err = capfd.readouterr().err
    assert "dropped" not in err and "kept after\n" in err and "kept after a failed build" in err
