"""The extractor registry (`talkbench.audio_features`): names, missing weights, frame rates, the log-mel default, offline loading."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench import audio_features as ae
from talkbench.core.errors import UnknownNameError, WeightsMissing
from talkbench.infra import weights
from talkbench.zoo import cache as zoo_cache
from tests.audio_features import speech as _speech
from tests.kit.weights import DS, HUBERT, W2V


def test_snapshot_entries_and_missing_weights(bench_home: Path) -> None:
    for name, repo in ((HUBERT, "facebook/hubert-large-ls960-ft"), (W2V, "cpierse/wav2vec2-large-xlsr-53-esperanto")):
        entry = weights.get_entry(name)
        assert entry.snapshot and entry.url == f"https://huggingface.co/{repo}"
        assert f"hf download {repo} --local-dir DIR" in entry.install_hint()
        assert f"bench weights install {name} --from DIR" in entry.install_hint()
        assert weights.status(name)[0] == "missing"
    assert ae.names() == ["log-mel", "hubert", "wav2vec", "syncnet", "deepspeech"]
    for extractor, entry in (("hubert", HUBERT), ("wav2vec", W2V), ("deepspeech", DS)):
        with pytest.raises(WeightsMissing, match=f"bench weights install {entry}"):
            ae.extract(extractor, _speech(0.5), 12, 25.0)
        assert ae.weights_state(extractor) == {"extractor": extractor, "weights": entry, "status": "missing", "sha256": ""}
    with pytest.raises(UnknownNameError, match="did you mean"):
        ae.require("huberts")
    ae.require("log-mel")  # no weights needed


@pytest.mark.slow
def test_frame_rates_and_the_log_mel_default(installed: dict[str, Path]) -> None:
    audio = _speech(2.0, 11)
    at25, _ = ae.extract("hubert", audio, 50, 25.0)
    at50, _ = ae.extract("hubert", audio, 100, 50.0)
    np.testing.assert_array_equal(at50[0::2], at25)  # frame i at 50 fps takes window round(i / 2)
    mel, info = ae.extract("log-mel", audio, 50, 25.0, n_mels=24)
    assert mel.shape == (50, 24, 16) and info["weights"] is None and info["normalised"].startswith("per channel")
    from talkbench.methods.nerf.audio import AudioNet, audio_windows

    np.testing.assert_array_equal(mel, audio_windows(audio, 50, 25.0, n_mels=24))
    assert AudioNet(32, 8, win_size=2)(torch.from_numpy(at25[:4])).shape == (4, 8)  # ER-NeRF's HuBERT windows
    with pytest.raises(ValueError, match="1 to 16 rows"):
        AudioNet(32, 8, win_size=17)


def test_loading_is_offline(installed: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(zoo_cache, "_ONE", {})  # load from disk again, under the guard
    for name in ("hubert", "wav2vec"):
        windows, _ = ae.extract(name, _speech(1.0), 25, 25.0)
        assert np.isfinite(windows).all()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
