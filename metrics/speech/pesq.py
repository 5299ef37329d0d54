"""PESQ (ITU-T P.862): wide-band (P.862.2) at 16 kHz and narrow-band at 8 kHz, via the `pesq` package.

Wide-band is what the speech-enhancement papers report (VoiceBank-DEMAND "PESQ").
Narrow-band runs at 8 kHz: 16 kHz input is resampled with soxr (quality "HQ") first, and
the result records that. PESQ's own failures (no utterance found, input under 1/4 s, a
silent degraded signal) make the metric unavailable with the reason, never 0.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from talkbench.core.errors import InputError
from talkbench.metrics.speech.common import SpeechMetric, Unavailable, package_version

WB_RATE = 16_000
NB_RATE = 8_000
RESAMPLE_QUALITY = "HQ"
"""soxr quality used to bring 16 kHz speech to 8 kHz for narrow-band PESQ."""


def _message(exc: BaseException) -> str:
    msg = exc.args[0] if exc.args else str(exc)
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return str(msg)


def run_pesq(ref: np.ndarray, deg: np.ndarray, fs: int, mode: str) -> float:
    """`pesq.pesq(fs, ref, deg, mode)`, its failures turned into Unavailable with the reason."""
    import pesq as pesq_pkg

    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    if not np.any(deg):
        # the package divides by the signals' peak and fails with an unreadable NaN error here
        raise Unavailable(f"PESQ ({mode}): the degraded signal is silent (all samples are 0), no utterance to score")
    if not np.any(ref):
        raise Unavailable(f"PESQ ({mode}): the reference signal is silent (all samples are 0)")
    try:
        value = pesq_pkg.pesq(fs, ref, deg, mode)
    except pesq_pkg.PesqError as exc:
        raise Unavailable(f"PESQ ({mode}) failed: {type(exc).__name__}: {_message(exc)}") from exc
    except ValueError as exc:  # numerical failure inside the package (e.g. NaN levels)
        raise Unavailable(f"PESQ ({mode}) failed: {_message(exc)}") from exc
    value = float(value)
    if not np.isfinite(value):
        raise Unavailable(f"PESQ ({mode}) returned {value}")
    return value


def pesq_wb(ref: np.ndarray, deg: np.ndarray, fs: int = WB_RATE) -> float:
    """Wide-band PESQ (P.862.2 MOS-LQO) of `deg` against the clean `ref`, both at 16 kHz.

    InputError for any other rate (resample to 16 kHz first); Unavailable when PESQ
    cannot score the pair.
    """
    if int(fs) != WB_RATE:
        raise InputError(f"wide-band PESQ needs 16000 Hz audio, got {fs} Hz (resample to 16 kHz first)")
    return run_pesq(ref, deg, WB_RATE, "wb")


def to_nb_rate(x: np.ndarray, fs: int) -> np.ndarray:
    """`x` at 8 kHz for narrow-band PESQ: soxr ("HQ") from `fs`, unchanged when already 8 kHz."""
    x = np.asarray(x, dtype=np.float64)
    if int(fs) == NB_RATE:
        return x
    import soxr

    return soxr.resample(x, int(fs), NB_RATE, quality=RESAMPLE_QUALITY)


def pesq_nb(ref: np.ndarray, deg: np.ndarray, fs: int = WB_RATE) -> float:
    """Narrow-band PESQ (P.862 MOS-LQO, mapped) at 8 kHz; other rates are resampled with soxr first."""
    return run_pesq(to_nb_rate(ref, fs), to_nb_rate(deg, fs), NB_RATE, "nb")


class PESQ(SpeechMetric):
    """Wide-band PESQ (P.862.2) at 16 kHz against the clean speech."""

    name: ClassVar[str] = "pesq"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "PESQ"
    precision: ClassVar[int] = 2
    description: ClassVar[str] = "wide-band PESQ (ITU-T P.862.2, MOS-LQO) at 16 kHz, pesq package"
    protocol: ClassVar[str] = "ITU-T P.862.2 wide-band PESQ at 16 kHz (pesq package)"

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        details = {"pesq_mode": "wb", "pesq_sample_rate": WB_RATE, "implementation": f"pesq {package_version('pesq')}"}
        try:
            return pesq_wb(ref, deg, fs), details
        except Unavailable as exc:
            exc.details.update(details)
            raise


class PESQNarrowBand(SpeechMetric):
    """Narrow-band PESQ (P.862) at 8 kHz; 16 kHz input is resampled with soxr first."""

    name: ClassVar[str] = "pesq_nb"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "PESQ-NB"
    precision: ClassVar[int] = 2
    description: ClassVar[str] = "narrow-band PESQ (ITU-T P.862) at 8 kHz (soxr HQ resampling), pesq package"
    protocol: ClassVar[str] = "ITU-T P.862 narrow-band PESQ at 8 kHz (pesq package)"

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        details: dict[str, Any] = {"pesq_mode": "nb", "pesq_sample_rate": NB_RATE,
                                   "implementation": f"pesq {package_version('pesq')}"}
        if int(fs) != NB_RATE:
            details["resampled"] = f"{fs} Hz -> {NB_RATE} Hz with soxr {package_version('soxr')} (quality {RESAMPLE_QUALITY})"
        else:
            details["resampled"] = "no (input already at 8000 Hz)"
        try:
            return pesq_nb(ref, deg, fs), details
        except Unavailable as exc:
            exc.details.update(details)
            raise
