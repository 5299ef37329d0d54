"""SyncNet scores of one face track: embeddings of 5-frame windows against 20-MFCC windows, distances over
±15 shifts, LSE-D / LSE-C / offset / framewise confidence (Wav2Lip's `calculate_scores_real_videos.py` through
syncnet_python's `SyncNetInstance.evaluate`; the protocol is described in `talkbench.metrics.sync.evaluation`).

With L = min(frames, ⌊samples/640⌋), windows v = 0 … L − 6 pair crops v … v+4 (raw 0–255 BGR) with
MFCC columns 4v … 4v+19, 20 windows per batch. Each video feature is compared with the audio features
shifted by −15 … +15 windows (zero rows beyond the ends) with torch's `pairwise_distance` (eps 1e-6),
computed here in float64 from SyncNet's float32 features (the original computes them in float32; the
difference is about 1e-6); the distances are averaged over windows per shift: LSE-D = min, LSE-C =
median − min, offset = 15 − argmin (first minimum on ties); framewise confidence = median − distance at
the best shift, median-filtered with kernel 9.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import signal

from talkbench.core.errors import BenchError, InputError
from talkbench.metrics.sync.crops import CROP_SIZE
from talkbench.zoo.syncnet import (MFCC_PER_FRAME, MFCC_WINDOW, SAMPLE_RATE, SAMPLES_PER_FRAME, VIDEO_WINDOW,
                                   float_to_int16, mfcc_features)

VSHIFT = 15
BATCH_SIZE = 20
PAIRWISE_EPS = 1e-6
"""`torch.nn.functional.pairwise_distance`'s eps, added to the difference before the norm."""
CONF_KERNEL = 9


class SyncTooShort(BenchError):
    """Too few frames or too little audio for one SyncNet window."""


@dataclass
class SyncScores:
    """SyncNet result of one face track."""

    offset: int
    """Audio-video offset in frames (vshift − best shift index)."""
    lse_d: float
    """Minimum over shifts of the mean distance."""
    lse_c: float
    """Median over shifts of the mean distance, minus the minimum."""
    mean_dists: np.ndarray
    """[2·vshift + 1] mean distance per shift."""
    framewise_conf: np.ndarray
    """[N windows] median − distance at the best shift, median-filtered (kernel 9)."""
    vshift: int = VSHIFT

    @property
    def windows(self) -> int:
        """Number of SyncNet windows that were averaged."""
        return int(len(self.framewise_conf))


def sync_from_distances(dists: np.ndarray, vshift: int = VSHIFT) -> SyncScores:
    """Offset, LSE-D, LSE-C, mean-distance curve and framewise confidence from [N, 2·vshift+1] distances."""
    d = np.asarray(dists, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] != 2 * vshift + 1 or d.shape[0] < 1:
        raise ValueError(f"distances must be [N >= 1, {2 * vshift + 1}] for vshift {vshift}, got {d.shape}")
    mean_dists = d.mean(axis=0)
    best = int(np.argmin(mean_dists))  # first minimum, as torch.min does
    median = float(np.median(mean_dists))  # an odd count: the middle value, as torch.median gives
    minimum = float(mean_dists[best])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "kernel exceeds volume extent": zero padding is the original's behaviour
        framewise = signal.medfilt(median - d[:, best], kernel_size=CONF_KERNEL)
    return SyncScores(offset=vshift - best, lse_d=minimum, lse_c=median - minimum, mean_dists=mean_dists,
                      framewise_conf=np.asarray(framewise, dtype=np.float64), vshift=vshift)


def window_distances(video_feats: np.ndarray, audio_feats: np.ndarray, vshift: int = VSHIFT) -> np.ndarray:
    """[N, 2·vshift+1] distances ‖v_i − a_(i+k−vshift) + eps‖ with zero audio features beyond the ends."""
    v = np.asarray(video_feats, dtype=np.float64)
    a = np.asarray(audio_feats, dtype=np.float64)
    if v.ndim != 2 or v.shape != a.shape:
        raise ValueError(f"video and audio features must both be [N, D], got {v.shape} and {a.shape}")
    n, dim = v.shape
    width = 2 * vshift + 1
    padded = np.concatenate([np.zeros((vshift, dim)), a, np.zeros((vshift, dim))])
    shifts = np.arange(width)
    out = np.empty((n, width))
    rows = max(1, (1 << 22) // max(1, width * dim))  # bounds the [rows, width, dim] temporary to ~32 MB
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        idx = np.arange(start, stop)[:, None] + shifts[None, :]
        diff = v[start:stop, None, :] - padded[idx] + PAIRWISE_EPS
        out[start:stop] = np.sqrt(np.einsum("nkd,nkd->nk", diff, diff))
    return out


def count_windows(num_frames: int, num_samples: int) -> int:
    """SyncNet windows the original evaluates: min(frames, ⌊samples/640⌋) − 5."""
    return min(int(num_frames), int(num_samples) // SAMPLES_PER_FRAME) - VIDEO_WINDOW


def syncnet_features(crops_bgr: np.ndarray, mfcc: np.ndarray, net: Any, n_windows: int, device: str = "cpu",
                     batch_size: int = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """SyncNet lip and audio embeddings ([N, 1024] float32 each) of the first `n_windows` windows."""
    import torch

    net.to(device).eval()
    cc = torch.from_numpy(np.asarray(mfcc, dtype=np.float32))
    video_out, audio_out = [], []
    with torch.inference_mode():
        for start in range(0, n_windows, batch_size):
            stop = min(n_windows, start + batch_size)
            # [L, H, W, 3] uint8 -> [3, L, H, W] float: raw 0-255 BGR, as the original feeds it
            clip = torch.from_numpy(np.ascontiguousarray(crops_bgr[start:stop + VIDEO_WINDOW - 1])).permute(3, 0, 1, 2).float()
            video = torch.stack([clip[:, k:k + VIDEO_WINDOW] for k in range(stop - start)])
            audio = torch.stack([cc[:, MFCC_PER_FRAME * v:MFCC_PER_FRAME * v + MFCC_WINDOW] for v in range(start, stop)])
            video_out.append(net.forward_lip(video.to(device)).float().cpu())
            audio_out.append(net.forward_aud(audio.unsqueeze(1).to(device)).float().cpu())
    return torch.cat(video_out).numpy(), torch.cat(audio_out).numpy()


def lse_from_crops(crops_bgr: np.ndarray, audio: np.ndarray, net: Any, device: str = "cpu",
                   batch_size: int = BATCH_SIZE, vshift: int = VSHIFT) -> SyncScores:
    """SyncNet scores of one track: uint8 BGR crops [T, 224, 224, 3] and its 16 kHz audio (int16, or float in [-1, 1])."""
    crops = np.asarray(crops_bgr)
    if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3):
        raise InputError(f"SyncNet crops must be uint8 [T,{CROP_SIZE},{CROP_SIZE},3], got {crops.dtype} {crops.shape}")
    pcm = np.asarray(audio)
    pcm = pcm if pcm.dtype == np.int16 else float_to_int16(pcm)
    n_windows = count_windows(len(crops), len(pcm))
    if n_windows < 1:
        raise SyncTooShort(
            f"too short for SyncNet: {len(crops)} frames and {len(pcm) / SAMPLE_RATE:.3f} s of audio give "
            f"{max(0, n_windows + VIDEO_WINDOW)} usable frames; one window needs {VIDEO_WINDOW + 1}"
        )
    video_feats, audio_feats = syncnet_features(crops, mfcc_features(pcm), net, n_windows, device, batch_size)
    return sync_from_distances(window_distances(video_feats, audio_feats, vshift), vshift)
