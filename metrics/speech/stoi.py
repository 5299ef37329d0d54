"""STOI and extended STOI (Taal et al. 2011; Jensen & Taal 2016) via `pystoi`.

pystoi resamples to 10 kHz internally and drops silent frames (40 dB range). When fewer
than 30 frames remain, pystoi warns and returns 1e-5; here that utterance is unavailable
with the reason instead of a near-zero score.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from talkbench.metrics.speech.common import SpeechMetric, Unavailable, package_version


def _run_stoi(ref: np.ndarray, deg: np.ndarray, fs: int, extended: bool) -> float:
    from pystoi import stoi as pystoi_stoi

    label = "ESTOI" if extended else "STOI"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = pystoi_stoi(np.asarray(ref, dtype=np.float64), np.asarray(deg, dtype=np.float64), int(fs),
                                extended=extended)
        except (ValueError, IndexError) as exc:  # shorter than one 25.6 ms frame: pystoi indexes an empty frame stack
            raise Unavailable(f"{label}: {len(ref)} samples at {fs} Hz are too short for pystoi ({type(exc).__name__}: "
                              f"{exc})") from exc
    for w in caught:
        if "Not enough STFT frames" in str(w.message):
            raise Unavailable(
                f"{label}: fewer than 30 non-silent 25.6 ms frames after pystoi's silence removal "
                "(utterance too short or mostly silent); pystoi would return 1e-5"
            )
    value = float(value)
    if not np.isfinite(value):
        raise Unavailable(f"{label}: pystoi returned {value}")
    return value


def stoi(ref: np.ndarray, deg: np.ndarray, fs: int) -> float:
    """STOI of `deg` against the clean `ref` (pystoi, `extended=False`)."""
    return _run_stoi(ref, deg, fs, extended=False)


def estoi(ref: np.ndarray, deg: np.ndarray, fs: int) -> float:
    """Extended STOI of `deg` against the clean `ref` (pystoi, `extended=True`)."""
    return _run_stoi(ref, deg, fs, extended=True)


class STOI(SpeechMetric):
    """Short-time objective intelligibility (0..1) against the clean speech."""

    name: ClassVar[str] = "stoi"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "STOI"
    precision: ClassVar[int] = 3
    description: ClassVar[str] = "STOI (Taal et al. 2011), pystoi"
    protocol: ClassVar[str] = "STOI, pystoi (10 kHz internal, 40 dB silent-frame removal)"

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        return stoi(ref, deg, fs), {"extended": False, "implementation": f"pystoi {package_version('pystoi')}"}


class ESTOI(SpeechMetric):
    """Extended STOI (Jensen & Taal 2016) against the clean speech."""

    name: ClassVar[str] = "estoi"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "ESTOI"
    precision: ClassVar[int] = 3
    description: ClassVar[str] = "extended STOI (Jensen & Taal 2016), pystoi"
    protocol: ClassVar[str] = "extended STOI, pystoi (10 kHz internal, 40 dB silent-frame removal)"

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        return estoi(ref, deg, fs), {"extended": True, "implementation": f"pystoi {package_version('pystoi')}"}
