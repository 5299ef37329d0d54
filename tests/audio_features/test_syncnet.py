"""The `syncnet` extractor (`talkbench.audio_features.syncnet`): SyncNet's audio tower on the MFCC window centred on each frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch


@pytest.mark.slow
def test_syncnet_lip_encoder_is_syncnets_audio_tower_on_centred_mfcc_windows(bench_home: Path) -> None:
    """`syncnet`: frame i's embedding is forward_aud of MFCC rows 4(i-2) .. 4(i+3), zero-padded at the ends."""
    from syncnet_python.SyncNetModel import S

    from talkbench import audio_features as ae
    from talkbench.infra import weights
    from talkbench.zoo.syncnet import float_to_int16, mfcc_features

    torch.manual_seed(0)
    net = S().eval()
    path = bench_home / "syncnet_v2.model"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    weights.install("syncnet_v2", str(path))
    audio = (np.random.default_rng(0).standard_normal(16000 * 2) * 0.1).astype(np.float32)
    windows, info = ae.extract("syncnet", audio, 50, 25.0)
    assert windows.shape == (50, 1024, 1) and info["window"] == 1 and info["dims"] == 1024
    mfcc = mfcc_features(float_to_int16(audio))
    for i in (0, 10, 49):
        rows = np.zeros((13, 20), np.float32)
        for k in range(20):
            j = 4 * (i - 2) + k
            if 0 <= j < mfcc.shape[1]:
                rows[:, k] = mfcc[:, j]
        with torch.inference_mode():
            ref = net.forward_aud(torch.from_numpy(rows)[None, None]).numpy()[0]
        assert np.allclose(windows[i, :, 0], ref, atol=1e-4)
