"""PESQ (ITU-T P.862): wide-band (P.862.2) at 16 kHz and narrow-band, via the `pesq` package.

Wide-band is what the speech-enhancement papers report (VoiceBank-DEMAND "PESQ").
Narrow-band runs at the input's rate (8 or 16 kHz), as `pesq.pesq(fs, ref, deg, "nb")` and
torchmetrics do: the package's own 16 kHz narrow-band path filters the input itself. The
protocol variant `pesq_nb_rate=8000` (`--pesq-nb-rate 8000`) resamples to 8 kHz with soxr
("HQ") first, as talkbench did before: on the pesq package's test pair it gives 1.665 where
the package gives 1.607. PESQ's own failures (no utterance found, input under 1/4 s, a
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
    """`x` at 8 kHz for the resampled narrow-band variant: soxr ("HQ") from `fs`, unchanged when already 8 kHz."""
    x = np.asarray(x, dtype=np.float64)
    if int(fs) == NB_RATE:
        return x
    import soxr

    return soxr.resample(x, int(fs), NB_RATE, quality=RESAMPLE_QUALITY)


NB_RATES = ("input", "8000")
"""Values of the narrow-band protocol option `pesq_nb_rate`: the input's rate (the package's and torchmetrics'
call, default) or 8 kHz after soxr resampling."""


def pesq_nb(ref: np.ndarray, deg: np.ndarray, fs: int = WB_RATE, rate: str = "input") -> float:
    """Narrow-band PESQ (P.862 MOS-LQO, mapped): `pesq.pesq(fs, ref, deg, "nb")` at the input's rate (8 or 16 kHz).

    `rate="8000"` resamples both signals to 8 kHz with soxr first (any input rate). InputError for a rate the
    package does not take; Unavailable when PESQ cannot score the pair.
    """
    if rate == "8000":
        return run_pesq(to_nb_rate(ref, fs), to_nb_rate(deg, fs), NB_RATE, "nb")
    if rate != "input":
        raise InputError(f"pesq_nb_rate must be one of {', '.join(NB_RATES)}, not {rate!r}")
    if int(fs) not in (NB_RATE, WB_RATE):
        raise InputError(f"narrow-band PESQ needs 8000 or 16000 Hz audio, got {fs} Hz (resample first, or use "
                         "--pesq-nb-rate 8000)")
    return run_pesq(ref, deg, int(fs), "nb")


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
    """Narrow-band PESQ (P.862) at the input's rate, as the pesq package and torchmetrics call it (variant: 8 kHz)."""

    name: ClassVar[str] = "pesq_nb"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "PESQ-NB"
    precision: ClassVar[int] = 2
    description: ClassVar[str] = "narrow-band PESQ (ITU-T P.862) at the input's rate (8 or 16 kHz), pesq package"
    protocol: ClassVar[str] = "ITU-T P.862 narrow-band PESQ (pesq package)"
    variant_defaults: ClassVar[dict[str, Any]] = {"pesq_nb_rate": "input"}

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int, pesq_nb_rate: str = "input") -> tuple[float, dict[str, Any]]:
        """PESQ-NB at the input's rate, or at 8 kHz after soxr with `pesq_nb_rate="8000"`; the rate in the details."""
        rate = str(pesq_nb_rate)
        details: dict[str, Any] = {"pesq_mode": "nb", "pesq_nb_rate": rate,
                                   "implementation": f"pesq {package_version('pesq')}"}
        if rate == "8000" and int(fs) != NB_RATE:
            details["pesq_sample_rate"] = NB_RATE
            details["resampled"] = f"{fs} Hz -> {NB_RATE} Hz with soxr {package_version('soxr')} (quality {RESAMPLE_QUALITY})"
        else:
            details["pesq_sample_rate"] = int(fs)
            details["resampled"] = "no"
        try:
            return pesq_nb(ref, deg, fs, rate), details
        except Unavailable as exc:
            exc.details.update(details)
            raise
