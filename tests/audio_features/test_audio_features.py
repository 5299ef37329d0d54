"""The audio features as a package: extractor features where they are used: stored by `bench data prepare --audio-features NAME`, trained on and rendered with by a NeRF."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench import audio_features as ae
from talkbench.core.errors import BenchError, InputError, WeightsMissing
from talkbench.core.types import SAMPLE_RATE
from talkbench.infra import weights
from tests.audio_features import speech as _speech
from tests.kit.weights import HUBERT, W2V

pytestmark = pytest.mark.slow


def test_prepare_computes_and_stores_extractor_features(installed: dict[str, Path]) -> None:
    from talkbench.prepare.passes.audio_features import is_extractor_name, load_audio_features
    from talkbench.prepare.preprocess import PreprocessOptions, preprocess

    audio = _speech(1.2, 5)
    feats, meta, notes = load_audio_features("wav2vec", 30, audio=audio, fps=25.0)
    assert feats.shape == (30, 16, 44) and meta["kind"] == "wav2vec" and not notes  # the official [T, W, D] layout
    assert meta["extractor"]["weights_sha256"] == weights.verified(W2V)[1]
    assert is_extractor_name("hubert") and not is_extractor_name("aud_hu.npy")
    with pytest.raises(BenchError, match="computes features from the clip's audio"):
        load_audio_features("hubert", 30)
    shutil.rmtree(weights.get_entry(HUBERT).path)
    frames = np.zeros((30, 32, 32, 3), np.uint8)  # no face: the landmark pass would fail, so this fails first
    with pytest.raises(WeightsMissing, match=f"bench weights install {HUBERT}"):
        preprocess(frames, "video.mp4", PreprocessOptions(audio_features="hubert"), audio=audio)


TINY = {"stages.iters": "2", "stages.lips_iters": "0", "stages.torso_iters": "0", "sampling.num_rays": "64",
        "sampling.frames_per_step": "2", "sampling.num_steps": "4", "occupancy.resolution": "8", "head.grid.levels": "4",
        "head.grid.desired_resolution": "64", "sampling.max_ray_batch": "1024", "stages.log_every": "1"}


def test_nerf_trains_and_renders_on_hubert_features(tiny_cards: Path, installed: dict[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.datasets.cards import load_dataset
    from talkbench.core.registries import METHODS
    from talkbench.core.types import Drive
    from talkbench.methods.nerf.drive import load_model
    from talkbench.methods.nerf.trainer import CHECKPOINT_FILE

    cls = METHODS.get("er-nerf")
    clip = load_dataset("synthetic-portrait", "smoke")
    method = cls(cls.config_for("smoke", dict(TINY, audio_features="hubert")))
    key = method.environment_key()["audio_features"]
    assert key["status"] == "installed" and key["sha256"] == weights.verified(HUBERT)[1]

    ck = method.train(clip.train(), tmp_path / "w", 0)
    assert ck.meta["audio_features"]["name"] == "hubert" and ck.meta["audio_features"]["weights_sha256"] == key["sha256"]
    model, saved = load_model(ck.path / CHECKPOINT_FILE, cls.Model)
    assert model.cfg.audio_features == "hubert" and saved["audio"]["dims"] == 32 and saved["audio"]["window"] == 2
    assert model.audio.audio_net.encoder_conv[0].in_channels == 32
    assert torch.equal(model.audio_mean, torch.zeros(32)) and torch.equal(model.audio_std, torch.ones(32))  # fed raw

    # render computes the driving windows with the checkpoint's extractor, whatever the method object says
    calls: list[str] = []
    extract = ae.extract
    monkeypatch.setattr(ae, "extract", lambda name, *a, **k: calls.append(name) or extract(name, *a, **k))
    test = clip.test()
    n = 4  # a few driving frames are enough for the plumbing
    drive = Drive(audio=test.audio[: n * SAMPLE_RATE // 25], fps=test.fps, num_frames=n, poses=test.annotations["head_pose"][:n])
    video = cls(cls.config_for("smoke", TINY)).render(ck, drive)
    assert calls == ["hubert"] and video.frames.shape == (drive.num_frames, 64, 64, 3)

    # other weights than the ones trained with are refused; missing ones stop training before any work
    weights.install(HUBERT, str(installed["hubert_other"]))
    with pytest.raises(InputError, match="trained on hubert features from weights sha256"):
        method.render(ck, drive)
    shutil.rmtree(weights.get_entry(HUBERT).path)
    assert method.environment_key()["audio_features"]["status"] == "missing"
    with pytest.raises(WeightsMissing, match=f"bench weights install {HUBERT}"):
        method.train(clip.train(), tmp_path / "never", 0)
    assert not (tmp_path / "never").exists()
