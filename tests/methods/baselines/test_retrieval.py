"""`retrieval` (methods/baselines/retrieval.py): it follows the mouth."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def test_retrieval_follows_the_mouth(tiny_cards: Path, tmp_path: Path) -> None:
    """The chosen training frames' ground-truth mouth opening tracks the test audio's (static cannot)."""
    from talkbench.core.types import Drive
    from talkbench.datasets.cards import load_dataset
    from talkbench.methods.baselines.retrieval import Retrieval

    clip = load_dataset("synthetic-portrait", "smoke")
    train, test = clip.train(), clip.test()
    method = Retrieval()
    video = method.render(method.train(train, tmp_path, 0), Drive(audio=test.audio, fps=test.fps, num_frames=test.num_frames))
    assert video.frames.shape == test.frames.shape
    chosen_open = train.annotations["mouth_open"][method.last_choice]
    truth = test.annotations["mouth_open"]
    assert np.corrcoef(chosen_open, truth)[0, 1] > 0.5
    assert np.abs(chosen_open - truth).mean() < np.abs(train.annotations["mouth_open"][-1] - truth).mean()
