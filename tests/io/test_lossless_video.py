"""The lossless frame files of the clip store (bench/io/lossless_video.py): exact round trips, and a file that holds
other frames than expected is refused naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.io.lossless_video import read_frames, write_frames


@pytest.mark.parametrize("height,width", [(32, 32), (35, 33), (1, 7)])
def test_noise_frames_come_back_bit_for_bit(tmp_path: Path, height: int, width: int) -> None:
    frames = (np.random.default_rng(height).random((9, height, width, 3)) * 256).astype(np.uint8)
    frames[0] = 0
    frames[1] = 255  # the extremes survive too (no limited-range YUV on the way)
    write_frames(tmp_path / "f.avi", frames, 25.0)
    assert np.array_equal(read_frames(tmp_path / "f.avi", 9, height, width), frames)


def test_another_count_or_size_names_the_file(tmp_path: Path) -> None:
    frames = np.zeros((4, 16, 16, 3), np.uint8)
    write_frames(tmp_path / "f.avi", frames, 30.0)
    with pytest.raises(ValueError, match=r"f.avi: holds 4 frames, expected 5"):
        read_frames(tmp_path / "f.avi", 5, 16, 16)
    with pytest.raises(ValueError, match=r"f.avi: holds more than 3 frames"):
        read_frames(tmp_path / "f.avi", 3, 16, 16)
    with pytest.raises(ValueError, match=r"f.avi: .*frames of another size \(16x16, expected 20x16\)"):
        read_frames(tmp_path / "f.avi", 4, 16, 20)
    (tmp_path / "g.avi").write_bytes(b"RIFF" + bytes(200))
    with pytest.raises(ValueError, match=r"g.avi"):
        read_frames(tmp_path / "g.avi", 4, 16, 16)
