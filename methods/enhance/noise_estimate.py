"""Noise-spectrum estimation from the leading STFT frames, shared by specsub, mss and wiener.

The classical denoisers (and WildTalker's MSS, Sec. 3) assume that the first frames of an
utterance hold background noise only; the noise spectrum is the mean over those frames.
Frames follow `talkbench.dsp.stft` with `center=True`: frame m covers samples
[m*hop - n_fft/2, m*hop + n_fft/2).
"""

from __future__ import annotations

import numpy as np

from talkbench.core.errors import BenchError


def leading_frame_count(
    n_frames: int, n_fft: int, hop: int, sample_rate: int, *, noise_frames: int = 0, noise_seconds: float = 0.0
) -> int:
    """How many leading STFT frames to average for the noise estimate (at least 1, at most `n_frames`).

    `noise_frames > 0` takes that many frames. Otherwise `noise_seconds` counts the frames that
    end inside the first `noise_seconds` of audio (m*hop + n_fft/2 <= seconds*sr), so that
    every scale of a multi-scale denoiser looks at the same stretch of audio; when that stretch
    is shorter than one frame, the first frame is used.
    """
    if noise_frames < 0 or noise_seconds < 0:
        raise BenchError(f"noise_frames ({noise_frames}) and noise_seconds ({noise_seconds}) must be >= 0")
    if noise_frames > 0:
        count = noise_frames
    elif noise_seconds > 0:
        span = int(round(noise_seconds * sample_rate))
        count = (span - n_fft // 2) // hop + 1 if span >= n_fft // 2 else 1
    else:
        raise BenchError("set noise_frames > 0 or noise_seconds > 0 to say where the noise-only lead-in is")
    return int(min(max(count, 1), max(n_frames, 1)))


def noise_spectrum(mag: np.ndarray, count: int, power: float = 1.0) -> np.ndarray:
    """Mean of |S|**power over the first `count` frames of a magnitude spectrogram [frames, bins].

    `power=1` gives the mean noise magnitude (MSS Eq. 1's Noise(k)); `power=2` the noise PSD.
    """
    lead = mag[: max(1, count)]
    if power == 1.0:
        return lead.mean(axis=0)
    if power == 2.0:
        return np.einsum("mk,mk->k", lead, lead) / lead.shape[0]
    return (lead**power).mean(axis=0)


def leading_noise_segment(audio: np.ndarray, sample_rate: int, noise_seconds: float) -> np.ndarray | None:
    """The first `noise_seconds` of `audio`, or None when the signal is not longer than that."""
    n = int(round(noise_seconds * sample_rate))
    if n <= 0 or len(audio) <= n:
        return None
    return audio[:n]


def quietest_segment_start(audio: np.ndarray, sample_rate: int, seconds: float, step_seconds: float = 0.01) -> int:
    """Start sample of the `seconds`-long stretch of `audio` with the lowest energy (0 when the audio is not longer).

    For recordings that do not begin with noise alone (a clip cut mid-sentence): the quietest stretch
    is the best stand-in for "the initial frames primarily contain background noise". Stretches of
    digital silence are passed over (they hold no noise) unless the audio is nothing else.
    """
    n = int(round(seconds * sample_rate))
    if n <= 0 or len(audio) <= n:
        return 0
    step = max(1, int(round(step_seconds * sample_rate)))
    energy = np.concatenate([[0.0], np.cumsum(np.asarray(audio, np.float64) ** 2)])
    starts = np.arange(0, len(audio) - n + 1, step)
    power = (energy[starts + n] - energy[starts]) / n
    # Digital silence (an edited or synthetic track) holds no noise to learn from: skip every stretch that
    # contains a silent step, when any stretch is free of them.
    edges = np.arange(0, len(audio) + 1, step)
    silent = np.diff(energy[edges]) / step <= DIGITAL_SILENCE
    silent_before = np.concatenate([[0], np.cumsum(silent)])
    first, last = starts // step, np.minimum((starts + n + step - 1) // step, len(silent))
    clean = silent_before[last] - silent_before[first] == 0
    if clean.any():
        power = np.where(clean, power, np.inf)
    return int(starts[np.argmin(power)])


DIGITAL_SILENCE = 1e-10
"""Mean power (full scale 1.0) below which a stretch counts as digital silence (-100 dBFS)."""
