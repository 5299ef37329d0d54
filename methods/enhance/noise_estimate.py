"""Noise-spectrum estimation shared by specsub, mss and wiener (`noise_from` in their configs).

* "leading": the paper's assumption (WildTalker's MSS, Sec. 3, and the classical denoisers): the first
  frames of an utterance hold background noise only; the noise spectrum is the mean over them.
* "quietest": the same mean over the lowest-energy stretch anywhere (for audio cut mid-speech).
* "minstat": Martin's minimum statistics (`minimum_statistics.py`), a noise PSD tracked per frame.
* "vad": per third-octave band, the mean over the frames an energy VAD marks as noise in that band (`vad_noise`).

Frames follow `talkbench.dsp.stft` with `center=True`: frame m covers samples
[m*hop - n_fft/2, m*hop + n_fft/2).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.methods.enhance.minimum_statistics import minimum_statistics

NOISE_FROM = ("leading", "quietest", "minstat", "vad")
"""The noise estimators a denoiser's `noise_from` chooses from."""
WHOLE_SIGNAL = frozenset({"minstat", "vad"})
"""Estimators that read every frame of the utterance (the others read `noise_seconds` of it)."""

VAD_PERCENTILE = 10.0
"""The VAD's noise floor: this percentile of the frame energies (dB). Ours: speech rarely fills 90 % of the
frames of a recording, and the lowest tenth still holds enough frames (a second's worth in 10 s) for a mean."""
VAD_MARGIN_DB = 3.0
"""Frames within this many dB of the floor are noise. Ours: a band of stationary noise varies by about ±1.5 dB
from frame to frame (8 bins or more), while speech in the band lifts it several dB at the SNRs that matter."""
VAD_BAND_BINS = 8
"""Narrowest VAD band in STFT bins (fewer bins make the band energy too noisy to threshold; 4, 8 and 16 gave the
same PESQ within 0.05 in benchmarks/denoise_noise_estimate.py's conditions)."""


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


def vad_noise_frames(psd: np.ndarray) -> np.ndarray:
    """Boolean mask of the frames of a power spectrogram [frames, bins] whose energy is within VAD_MARGIN_DB of the
    VAD_PERCENTILE-th percentile of all frame energies (at least one frame: the quietest)."""
    energy = 10.0 * np.log10(psd.sum(axis=1) + 1e-30)
    if energy.size == 0:
        return np.zeros(0, dtype=bool)
    mask = energy <= np.percentile(energy, VAD_PERCENTILE) + VAD_MARGIN_DB
    mask[int(np.argmin(energy))] = True
    return mask


@lru_cache(maxsize=32)
def vad_bands(n_bins: int) -> tuple[int, ...]:
    """Bin edges of the VAD's bands: third octaves, each at least VAD_BAND_BINS bins wide (the last one may be wider)."""
    edges = [0]
    while edges[-1] < n_bins:
        lo = edges[-1]
        edges.append(min(n_bins, max(lo + VAD_BAND_BINS, int(round(lo * 2 ** (1 / 3))))))
    if len(edges) > 2 and edges[-1] - edges[-2] < VAD_BAND_BINS:
        del edges[-2]  # a narrow last band joins the one below it
    return tuple(edges)


def vad_noise(mag: np.ndarray, power: float) -> np.ndarray:
    """E|N|^power per bin [bins]: in each VAD band, the mean of |S|^power over the frames whose band energy the VAD
    (`vad_noise_frames`) marks as noise.

    Per band, not per frame, so that narrow-band noise (mains hum) and speech in other bands do not hide each other's
    pauses. The band energy sums each bin's power relative to that bin's median over time, so every bin has an equal
    say: otherwise the band's strongest bins (a pink noise's lowest, or a hum line) decide alone, and their slow level
    changes pick the frames (on the tests' pink noise that cost 2-4 dB of SNR gain)."""
    psd = mag * mag
    relative = psd / (np.median(psd, axis=0) + 1e-30)
    out = np.empty(mag.shape[1])
    edges = vad_bands(mag.shape[1])
    for lo, hi in zip(edges[:-1], edges[1:]):
        quiet = mag[vad_noise_frames(relative[:, lo:hi]), lo:hi]
        out[lo:hi] = noise_spectrum(quiet, len(quiet), power)
    return out


def gaussian_moment(psd: np.ndarray, power: float) -> np.ndarray:
    """E|N|^power of a complex Gaussian STFT coefficient with E|N|^2 = `psd`: Γ(1 + p/2)·psd^(p/2)."""
    if power == 2.0:
        return psd
    return math.gamma(1.0 + power / 2.0) * psd ** (power / 2.0)


def estimate_noise(mag: np.ndarray, power: float, how: str, hop_seconds: float, *, first: int = 0,
                   count: int = 1) -> np.ndarray:
    """E|N|^power from a magnitude spectrogram |S| [frames, bins]: [bins], or [frames, bins] for "minstat".

    "leading"/"quietest" average `count` frames from frame `first`; "vad" averages the frames the VAD marks
    as noise; "minstat" tracks the PSD per frame (Martin 2001) and converts it with `gaussian_moment`.
    """
    if how in ("leading", "quietest"):
        return noise_spectrum(mag[first:], count, power)
    if how == "vad":
        return vad_noise(mag, power)
    if how == "minstat":
        return gaussian_moment(minimum_statistics(mag * mag, hop_seconds), power)
    raise BenchError(f"noise_from must be one of {', '.join(NOISE_FROM)}, not {how!r}")


def noise_offset(audio: np.ndarray, sample_rate: int, how: str, noise_seconds: float) -> int:
    """First sample of the stretch a "leading" or "quietest" estimate averages (0 for the other estimators)."""
    return quietest_segment_start(audio, sample_rate, noise_seconds) if how == "quietest" else 0


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
