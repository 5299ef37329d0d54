"""Audio and eye conditioning of the NeRF talking heads: per-frame features, encoder, attention.

ER-NeRF and RAD-NeRF feed, per video frame, a window of an ASR model's outputs: DeepSpeech
logits (16 rows x 29 at 50 rows per second, i.e. 0.32 s centred on the frame, stored as
[T, 16, 29] and transposed to [T, 29, 16]), wav2vec CTC logits ([T, 44, 16]) or HuBERT hidden
states (two 50 Hz rows per frame, [T, 1024, 2]). The windows come from the extractor named by
`NeRFConfig.audio_features` (`talkbench.audio_features`): talkbench's offline default `log-mel` has
the same shape with mel bands in place of logits, 16 rows at 20 ms (pairs of 10 ms log-mel rows
averaged), i.e. [T, n_mels, 16]; `audio_windows` is that extractor's function.

`AudioNet` (the references' 4 strided 1-D convolutions over the window's rows, then 2 linear
layers) turns one window into a `dim_aud` code; `AudioAttNet` smooths the codes of the 8 neighbouring
frames [t-4, t+4) (the references' `--att 2`, zero input features past either end of the clip) with
attention weights predicted from the codes themselves.

Eye conditioning (`--exp_eye`): RAD-NeRF reads an `eye_ratio` per frame or computes the eye
polygon area from the 68 landmarks; ER-NeRF reads OpenFace's AU45 (blink). `eye_feature` takes
`annotations["eye_ratio"]` when present, otherwise the eye aspect ratio of the landmarks,
otherwise the `blink` annotation turned into openness.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

# the log-mel windows live with the other extractors; re-exported under their historical name
from talkbench.audio_features import ROW_MS, WINDOW_ROWS  # noqa: F401
from talkbench.perception.eyes import eye_aspect_ratio
from talkbench.audio_features import log_mel_windows as audio_windows  # noqa: F401

ATTENTION_FRAMES = 8
"""Frames smoothed by AudioAttNet: [t-4, t+4) (`get_audio_features` with att=2)."""


def feature_stats(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and std [n_mels] of training windows [T, n_mels, rows] (std floored at 1e-3)."""
    mean = windows.mean(axis=(0, 2))
    std = np.maximum(windows.std(axis=(0, 2)), 1e-3)
    return mean.astype(np.float32), std.astype(np.float32)


def normalise_windows(windows: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(windows - mean) / std per mel band, with the training statistics."""
    return ((windows - mean[None, :, None]) / std[None, :, None]).astype(np.float32)


def neighbour_indices(frames: torch.Tensor, num_frames: int, seq_len: int = ATTENTION_FRAMES) -> tuple[torch.Tensor, torch.Tensor]:
    """For frame indices [B]: the window [t - seq_len/2, t + seq_len/2) as indices [B, seq_len] and a validity mask.

    Indices outside [0, num_frames) are clamped and marked invalid (their input windows are zeroed,
    as the references pad with zero features).
    """
    half = seq_len // 2
    offsets = torch.arange(-half, seq_len - half, device=frames.device)
    idx = frames.reshape(-1, 1) + offsets[None, :]
    valid = (idx >= 0) & (idx < num_frames)
    return idx.clamp(0, num_frames - 1), valid


class AudioNet(nn.Module):
    """One frame's window [B, dim_in, win_size] -> code [B, dim_aud]: ER-NeRF/RAD-NeRF's AudioNet layout.

    Four Conv1d(kernel 3, stride 2, padding 1) layers (dim_in -> 32 -> 32 -> 64 -> 64 channels)
    with LeakyReLU(0.02), then Linear(64, 64), LeakyReLU, Linear(64, dim_aud). The convolutions
    bring any window of 1 to 16 rows down to one row: 16 -> 8 -> 4 -> 2 -> 1 for the ASR logits,
    2 -> 1 for ER-NeRF's HuBERT windows (the references crop windows to their central 16 rows,
    which leaves shorter ones whole).
    """

    def __init__(self, dim_in: int, dim_aud: int, win_size: int = WINDOW_ROWS) -> None:
        super().__init__()
        if not 1 <= win_size <= WINDOW_ROWS:
            raise ValueError(f"AudioNet: the strided convolutions take 1 to {WINDOW_ROWS} rows, got {win_size}")
        self.dim_in, self.dim_aud, self.win_size = dim_in, dim_aud, win_size
        chans = (dim_in, 32, 32, 64, 64)
        layers: list[nn.Module] = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv1d(c_in, c_out, kernel_size=3, stride=2, padding=1), nn.LeakyReLU(0.02)]
        self.encoder_conv = nn.Sequential(*layers)
        self.encoder_fc1 = nn.Sequential(nn.Linear(64, 64), nn.LeakyReLU(0.02), nn.Linear(64, dim_aud))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, dim_in, win_size] -> [B, dim_aud]."""
        return self.encoder_fc1(self.encoder_conv(x).squeeze(-1))


class AudioAttNet(nn.Module):
    """Attention over the codes of neighbouring frames: [B, seq_len, dim_aud] -> [B, dim_aud].

    The references' layout: five Conv1d(kernel 3) layers over the sequence (dim_aud -> 16 -> 8
    -> 4 -> 2 -> 1 channels, LeakyReLU(0.02)), a Linear(seq_len, seq_len) and a softmax give one
    weight per neighbour; the output is the weighted sum of the codes.
    """

    def __init__(self, dim_aud: int, seq_len: int = ATTENTION_FRAMES) -> None:
        super().__init__()
        self.seq_len, self.dim_aud = seq_len, dim_aud
        chans = (dim_aud, 16, 8, 4, 2, 1)
        layers: list[nn.Module] = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv1d(c_in, c_out, kernel_size=3, stride=1, padding=1), nn.LeakyReLU(0.02)]
        self.attentionConvNet = nn.Sequential(*layers)
        self.attentionNet = nn.Sequential(nn.Linear(seq_len, seq_len), nn.Softmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, seq_len, dim_aud] -> [B, dim_aud]."""
        y = self.attentionConvNet(x.transpose(1, 2)).reshape(x.shape[0], self.seq_len)
        weights = self.attentionNet(y).unsqueeze(-1)
        return (weights * x).sum(dim=1)


class AudioEncoder(nn.Module):
    """Per-frame audio code: AudioNet on each neighbour's window, then AudioAttNet over the neighbours."""

    def __init__(self, dim_in: int, dim_aud: int, attention: bool = True, seq_len: int = ATTENTION_FRAMES,
                 win_size: int = WINDOW_ROWS) -> None:
        super().__init__()
        self.audio_net = AudioNet(dim_in, dim_aud, win_size)
        self.attention = attention
        self.seq_len = seq_len
        self.audio_att_net = AudioAttNet(dim_aud, seq_len) if attention else None

    def forward(self, windows: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        """Codes [B, dim_aud] of `frames` [B] given all frames' windows [T, dim_in, win_size]."""
        if self.audio_att_net is None:
            return self.audio_net(windows[frames])
        idx, valid = neighbour_indices(frames, windows.shape[0], self.seq_len)
        # the references pad the input features with zeros past either end of the clip
        inputs = windows[idx.reshape(-1)] * valid.reshape(-1, 1, 1).to(windows.dtype)
        codes = self.audio_net(inputs).reshape(*idx.shape, -1)
        return self.audio_att_net(codes)


# ----------------------------------------------------------------------------- eyes

def eye_feature(annotations: dict[str, np.ndarray], num_frames: int) -> tuple[np.ndarray | None, str]:
    """Per-frame eye value [T] and where it came from: eye_ratio, landmark EAR, 1 - blink, or None."""
    if "eye_ratio" in annotations:
        return np.asarray(annotations["eye_ratio"], np.float32).reshape(num_frames), "annotations.eye_ratio"
    if "landmarks" in annotations:
        return eye_aspect_ratio(annotations["landmarks"]).astype(np.float32), "eye aspect ratio of annotations.landmarks"
    if "blink" in annotations:
        return (1.0 - np.asarray(annotations["blink"], np.float32)).reshape(num_frames), "1 - annotations.blink"
    return None, "none"
