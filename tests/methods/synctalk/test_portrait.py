"""SyncTalk's portrait-sync generator (methods/synctalk/portrait.py): neck fill and blending into the original frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import InputError
from tests.kit.nerf import drive as _drive, tiny_method as _method, train as _train


@pytest.mark.slow
def test_portrait_mode_blends_into_the_original_frames_and_needs_them(tiny_cards, tmp_path: Path) -> None:
    from talkbench.datasets.cards import load_dataset

    clip = load_dataset("synthetic-portrait", "smoke")
    method = _method("synctalk", portrait="on")
    assert "original_frames" in method.capabilities().inputs and method.capabilities().compositing == "portrait"
    assert "original_frames" not in _method("synctalk").capabilities().inputs
    ck = _train(method, clip, tmp_path / "w")
    test = clip.test()
    with pytest.raises(InputError, match="original frames"):
        method.render(ck, _drive(clip))
    drive = _drive(clip)
    drive.original_frames = test.frames
    video = method.render(ck, drive)
    assert np.array_equal(video.frames[:, :3, :3], test.frames[:, :3, :3])      # far from the face: the original
    assert not np.array_equal(video.frames, test.frames)                         # the face is the render's


def test_neck_fill_colours_only_the_gap_between_chin_and_torso() -> None:
    from talkbench.methods.synctalk.portrait import fill_neck_gap

    image = np.zeros((40, 40, 3), np.float32)
    head = np.zeros((40, 40), np.float32)
    head[5:20, 10:30] = 1.0
    torso = np.zeros((40, 40), np.float32)
    torso[28:, :] = 1.0
    out = fill_neck_gap(image, head, torso, np.array([0.8, 0.5, 0.4], np.float32))
    assert np.allclose(out[24, 15], [0.8, 0.5, 0.4])          # in the gap, under the chin
    assert np.allclose(out[24, 2], 0) and np.allclose(out[10, 15], 0) and np.allclose(out[35, 15], 0)
