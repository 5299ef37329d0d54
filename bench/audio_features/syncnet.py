"""The `syncnet` extractor (weights `syncnet_v2`, the LSE metrics' SyncNet).

SyncTalk's lip encoder stand-in: the audio tower of the sync expert (`talkbench.zoo.syncnet`), on the
20 MFCC rows (0.2 s) centred on each 25 fps frame, a 1024-d embedding per frame, [T, 1024, 1];
standardised with the training statistics like log-mel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from talkbench.audio_features.base import WINDOWS_PER_SECOND, AudioExtractor
from talkbench.core.types import SAMPLE_RATE
from talkbench.zoo.syncnet import MFCC_PER_FRAME, MFCC_WINDOW, SYNCNET_V2, float_to_int16, load_syncnet, mfcc_features

SYNCNET_DIMS = 1024
"""SyncNet v2's audio embedding size."""


def _syncnet_windows(extractor: AudioExtractor, audio: np.ndarray, path: Path, digest: str, device: str) -> np.ndarray:
    """SyncNet v2 audio-tower embeddings, one per 25 fps frame: [N, 1, 1024].

    Frame i's input is the 20 MFCC rows (0.2 s, 5 frames) centred on it: rows 4(i-2) .. 4(i+3) of
    SyncNet's own MFCCs (`talkbench.zoo.syncnet.mfcc_features`), zero rows beyond the clip's ends.
    """
    import torch

    net, _ = load_syncnet(device)
    mfcc = mfcc_features(float_to_int16(audio))                     # [13, M] at 100 Hz
    n = max(0, int(round(len(audio) / SAMPLE_RATE * WINDOWS_PER_SECOND)))
    if n == 0:
        return np.zeros((0, 1, SYNCNET_DIMS), np.float32)
    pad = 2 * MFCC_PER_FRAME
    padded = np.pad(mfcc, ((0, 0), (pad, pad + MFCC_WINDOW)))
    starts = MFCC_PER_FRAME * np.arange(n)                          # window of frame i starts at 4i - 8 (+ pad)
    batch = np.stack([padded[:, s:s + MFCC_WINDOW] for s in starts]).astype(np.float32)
    out = []
    with torch.inference_mode():
        for k in range(0, n, 256):
            x = torch.from_numpy(batch[k:k + 256]).unsqueeze(1).to(device)   # [B, 1, 13, 20]
            out.append(net.forward_aud(x).float().cpu().numpy())
    return np.concatenate(out)[:, None, :].astype(np.float32)


SYNCNET = AudioExtractor(
    name="syncnet", weights=SYNCNET_V2.name, window=1, normalised=True, fixed_dims=SYNCNET_DIMS,
    run=_syncnet_windows,
    protocol="SyncNet v2 audio tower (syncnet_python forward_aud) on the 20 MFCC rows centred on each frame: "
             "a 1024-d lip-sync embedding per frame (SyncTalk's lip encoder is a sync-trained audio tower; "
             "its own checkpoint is not redistributable)",
)
