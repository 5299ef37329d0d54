"""`wildtalker` (methods/wildtalker/method.py), and `synctalk` whose model it extends: train and render with their
modules and record them in the checkpoint; every switch off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.methods.nerf.checkpoint import load_checkpoint
from talkbench.methods.nerf.trainer import CHECKPOINT_FILE
from tests.kit.nerf import drive as _drive, tiny_method as _method, train as _train

pytestmark = pytest.mark.slow


def test_synctalk_and_wildtalker_train_render_with_their_modules_and_record_them(tiny_cards, tmp_path: Path) -> None:
    from talkbench.datasets.cards import load_dataset

    wild = load_dataset("synthetic-portrait-wild", "smoke")
    for name in ("synctalk", "wildtalker"):
        method = _method(name)
        ck = _train(method, wild, tmp_path / name)
        video = method.render(ck, _drive(wild))
        assert video.frames.shape == wild.test().frames.shape and video.frames.dtype == np.uint8
        saved = load_checkpoint(ck.path / CHECKPOINT_FILE).config
        assert saved["audio"]["name"] == "log-mel" and "syncnet_v2" in saved["audio"]["fallback"]  # weights absent here
        assert saved["eye"]["dims"] == 7 and len(saved["eye"]["render_value"]) == 7
        assert saved["poses"]["annotation"] == "head_pose" and "no stabilized poses" in saved["poses"]["note"]
        assert len(saved["neck_colour"]) == 3
        assert saved["audio"].get("mss", False) is (name == "wildtalker")  # SyncTalk has no audio front end
        assert (len(saved["audio"].get("mss_noise", [])) == 4000) is (name == "wildtalker")  # 0.25 s of the recording's noise
        assert ("temporal_mask" in saved) is (name == "wildtalker")
    off = _method("wildtalker", mss="off", temporal_mask="off", head_stabilizer="off", expression="eye",
                  masked_attention="off", neck_fill="off")
    ck = _train(off, wild, tmp_path / "off")
    saved = load_checkpoint(ck.path / CHECKPOINT_FILE).config
    assert saved["eye"]["dims"] == 1 and not saved["audio"]["mss"]
    assert not {"temporal_mask", "neck_colour"} & set(saved) and "note" not in saved["poses"]
    assert off.render(ck, _drive(wild)).frames.shape == wild.test().frames.shape
