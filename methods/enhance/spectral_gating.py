"""`noisereduce`: stationary spectral gating from the `noisereduce` library (Sainburg et al.), as a baseline.

The library does its own STFT (it is wrapped, not reimplemented); talkbench only chooses the
noise clip: the leading `noise_seconds` of the input when the input is longer than that.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.core.config import MethodConfig, bounded
from talkbench.core.method import Enhancer
from talkbench.methods.enhance.noise_estimate import leading_noise_segment


def _library_version() -> str:
    try:
        return metadata.version("noisereduce")
    except metadata.PackageNotFoundError:
        return "not installed"


@dataclass
class SpectralGatingConfig(MethodConfig):
    """noisereduce settings (library defaults except `n_fft`, and the noise clip)."""

    stationary: bool = True
    """Stationary gating (noise statistics from the noise clip); False = the library's non-stationary mode,
    which tracks the noise floor over time and ignores the noise clip."""
    prop_decrease: float = bounded(1.0, 0, 1)
    """Proportion of the noise to remove (1.0 = full gating, the library default)."""
    n_std_thresh_stationary: float = bounded(1.5, 0)
    """Stationary threshold: standard deviations of the noise dB spectrum above its mean (library default)."""
    n_fft: int = bounded(512, 16)
    """FFT size of the library's STFT (ours: 32 ms at 16 kHz, like the other denoisers; library default 1024)."""
    noise_seconds: float = bounded(0.25, 0)
    """The first `noise_seconds` are passed as `y_noise`; 0 (or a shorter input) lets the library estimate
    the noise from the whole input."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.prop_decrease <= 1.0:
            raise BenchError(f"noisereduce: prop_decrease must be in [0, 1], got {self.prop_decrease}")
        if self.n_fft < 16 or self.noise_seconds < 0:
            raise BenchError(f"noisereduce: need n_fft >= 16 and noise_seconds >= 0, got {self.n_fft}, {self.noise_seconds}")


class SpectralGating(Enhancer):
    """`noisereduce.reduce_noise` (spectral gating); records the library version it ran with."""

    name = "noisereduce"
    Config = SpectralGatingConfig
    library_version = _library_version()
    """Version of the `noisereduce` package (stored with results; gating details differ between releases)."""

    def enhance(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Spectral gating with the leading noise clip; float32 of the input's length."""
        try:
            import noisereduce
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise BenchError("the noisereduce denoiser needs the library: pip install noisereduce==3.0.3") from exc
        cfg: SpectralGatingConfig = self.config  # type: ignore[assignment]
        noise = leading_noise_segment(audio, sample_rate, cfg.noise_seconds) if cfg.stationary else None
        if noise is not None and len(noise) < cfg.n_fft:
            noise = None
        n = len(audio)
        if n < 2 * cfg.n_fft:  # the library's STFT needs a few frames: zero-pad short inputs, trim after
            audio = np.pad(audio, (0, 2 * cfg.n_fft - n))
        out = noisereduce.reduce_noise(
            y=audio, sr=sample_rate, stationary=cfg.stationary, y_noise=noise, prop_decrease=cfg.prop_decrease,
            n_std_thresh_stationary=cfg.n_std_thresh_stationary, n_fft=cfg.n_fft, use_tqdm=False, n_jobs=1,
        )
        out = np.asarray(out, dtype=np.float32).reshape(-1)
        if len(out) < n:  # keep the same-length contract whatever the library returns
            out = np.pad(out, (0, n - len(out)))
        return np.ascontiguousarray(out[:n])
