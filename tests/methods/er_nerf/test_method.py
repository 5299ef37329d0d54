"""`er-nerf` (methods/er_nerf/method.py) on CUDA (run on a GPU machine: `pytest -m gpu`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gpu


def test_er_nerf_trains_and_renders_on_cuda(tiny_cards, tmp_path: Path) -> None:
    from talkbench.core.registries import METHODS
    from talkbench.core.types import Drive
    from talkbench.datasets.cards import load_dataset

    clip = load_dataset("synthetic-portrait", "smoke")
    cls = METHODS.get("er-nerf")
    method = cls(cls.config_for("tiny", {"device": "cuda"}))
    ck = method.train(clip.train(), tmp_path / "w", 0)
    assert ck.meta["device"].startswith("cuda")
    test = clip.test()
    video = method.render(ck, Drive(audio=test.audio, fps=test.fps, num_frames=test.num_frames,
                                    poses=test.annotations["head_pose"]))
    assert video.frames.shape == test.frames.shape and video.frames.dtype == np.uint8 and video.frames.std() > 5
