"""WildTalker's audio front end: Multi-scale Spectral Subtraction of the training and the driving audio.

With `mss_noise_from="training"` the training recording's quietest stretch is kept (`noise_sample`) and MSS runs
on [noise ‖ audio] with the paper's leading-frame estimate, the noise part cut off again: the recording's noise
is subtracted from any drive.
"""

from __future__ import annotations

import numpy as np

NOISE_FROM = ("training", "quietest", "leading")
"""Values of `WildTalkerConfig.mss_noise_from`."""


def noise_sample(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The recording's noise sample for MSS: its quietest stretch of MSS's noise length (digital silence skipped)."""
    from talkbench.methods.enhance.mss import MSSConfig
    from talkbench.methods.enhance.noise_estimate import quietest_segment_start

    seconds = MSSConfig().noise_seconds
    start = quietest_segment_start(np.asarray(audio, np.float32), sample_rate, seconds)
    return np.asarray(audio[start:start + int(round(seconds * sample_rate))], np.float32)


def denoise(audio: np.ndarray, sample_rate: int, noise_from: str, noise: np.ndarray | None = None) -> np.ndarray:
    """MSS-denoised audio, the noise taken from `noise` ("training"), the audio's quietest or its leading stretch."""
    audio = np.asarray(audio, np.float32)
    if noise_from not in NOISE_FROM:
        raise ValueError(f"mss_noise_from must be one of {', '.join(NOISE_FROM)}, not {noise_from!r}")
    from talkbench.methods.enhance.mss import MSS, MSSConfig

    if noise_from == "training":
        if noise is None:
            raise ValueError("mss_noise_from=training needs the training recording's noise sample")
        joined = np.concatenate([np.asarray(noise, np.float32), audio])
        return np.asarray(MSS(MSSConfig(noise_from="leading")).enhance(joined, sample_rate)[len(noise):], np.float32)
    return np.asarray(MSS(MSSConfig(noise_from=noise_from)).enhance(audio, sample_rate), np.float32)
