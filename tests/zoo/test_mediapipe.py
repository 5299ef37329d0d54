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
