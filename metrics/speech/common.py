"""Helpers shared by the speech metrics: pair checks, Loizou's 30 ms framing, and the metric base class.

The runner scores one utterance per call: `pred` is the enhanced (or degraded) speech and
`ref` the clean speech. Both must share a sample rate (callers resample beforehand; the
dataset loaders resample to 16 kHz and say so). Different lengths are truncated to the
shorter, and the result's details say so under "length".
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Iterator
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from talkbench.dsp import frame_signal, window
from talkbench.core.errors import InputError
from talkbench.core.metric import AudioMetric, MetricContext, MetricResult
from talkbench.core.types import Audio

EPS = float(np.finfo(np.float64).eps)
"""MATLAB's `eps` (2.2204e-16), which Loizou's code adds to signals and energies."""

FRAME_MS = 30
"""Loizou's analysis frame (composite.m, llr.m, wss.m, snr.m): 30 ms, hop a quarter of it."""

FRAME_BLOCK = 4096
"""Frames processed at once by the frame-level measures (bounds memory on long inputs)."""


class Unavailable(Exception):
    """A metric cannot score this utterance (silence, too short, PESQ error); the message says why."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# ----------------------------------------------------------------------------- pair checks


def _mono(samples: np.ndarray, source: str) -> np.ndarray:
    arr = np.asarray(samples)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise InputError(f"{source}: speech metrics need mono audio [N], got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise InputError(f"{source}: audio samples must be numeric, got {arr.dtype}")
    out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise InputError(f"{source}: audio contains NaN or infinite samples")
    return out


def check_pair(pred: Audio, ref: Audio) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """`(p, r, notes)`: both as mono float64 of equal length, and what was done to them.

    InputError (naming both sources) when the sample rates differ, and (naming the source)
    when the reference is empty or all zeros. Different lengths are truncated to the
    shorter; `notes["length"]` says so ("equal" otherwise). `notes` also carries
    "sample_rate" and "samples" and is meant to be merged into `MetricResult.details`.
    """
    pred_name = pred.source or "pred"
    ref_name = ref.source or "ref"
    if int(pred.sample_rate) != int(ref.sample_rate):
        raise InputError(
            f"sample rates differ: {pred_name} is {pred.sample_rate} Hz, {ref_name} is {ref.sample_rate} Hz "
            "(resample both to the same rate, e.g. 16000 Hz, before scoring)"
        )
    p = _mono(pred.samples, pred_name)
    r = _mono(ref.samples, ref_name)
    if r.size == 0:
        raise InputError(f"{ref_name}: the reference audio is empty")
    if not np.any(r):
        raise InputError(f"{ref_name}: the reference audio is silent (all samples are 0)")
    if p.size == 0:
        raise InputError(f"{pred_name}: the audio to score is empty")
    n = min(p.size, r.size)
    if p.size != r.size:
        length = (
            f"truncated to the shorter: {n} samples ({pred_name} had {p.size}, {ref_name} had {r.size})"
        )
        p, r = p[:n], r[:n]
    else:
        length = "equal"
    notes = {"sample_rate": int(ref.sample_rate), "samples": int(n), "seconds": n / float(ref.sample_rate),
             "length": length}
    return p, r, notes


# ----------------------------------------------------------------------------- Loizou's framing


def matlab_round(x: float) -> int:
    """MATLAB's round (halves away from zero), used for window lengths and the 95 % cut."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def loizou_framing(fs: int) -> tuple[int, int]:
    """(window length, hop) in samples: round(30 ms · fs) and floor(window / 4) (75 % overlap)."""
    win = matlab_round(FRAME_MS * fs / 1000)
    return win, win // 4


def loizou_num_frames(n_samples: int, fs: int) -> int:
    """Frames Loizou's loops visit: floor(N/hop − win/hop).

    This is one fewer than the number of full frames (the last full frame is skipped), as
    in composite.m's `for frame_count = 1:num_frames`.
    """
    win, hop = loizou_framing(fs)
    count = Fraction(n_samples, hop) - Fraction(win, hop)
    return max(0, math.floor(count))


@lru_cache(maxsize=16)
def loizou_window(win: int) -> np.ndarray:
    """0.5·(1 − cos(2πk/(win+1))), k = 1..win: MATLAB's symmetric `hanning(win)` (no zero ends).

    It is the periodic Hann window of length win+1 without its first (zero) sample.
    """
    w = window("hann", win + 1)[1:].copy()
    w.setflags(write=False)
    return w


def loizou_frames(ref: np.ndarray, deg: np.ndarray, fs: int, block: int = FRAME_BLOCK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Windowed frame blocks `(ref_frames, deg_frames)`, each [n, win], over Loizou's frames.

    Uses the shared `talkbench.dsp.frame_signal`; at most `block` frames are materialised at once.
    """
    win, hop = loizou_framing(fs)
    total = loizou_num_frames(min(len(ref), len(deg)), fs)
    w = loizou_window(win)
    for first in range(0, total, block):
        count = min(block, total - first)
        start, stop = first * hop, (first + count - 1) * hop + win
        fr = frame_signal(ref[start:stop], win, hop)[:count]
        fd = frame_signal(deg[start:stop], win, hop)[:count]
        yield fr * w, fd * w


def best_fraction_mean(values: np.ndarray, fraction: float = 0.95) -> float:
    """Mean of the lowest round(fraction·n) values (composite.m's "best 95 %" of LLR / WSS frames).

    Sorted like MATLAB's `sort` (NaN last), so a frame whose measure is undefined is the
    first to be dropped.
    """
    v = np.sort(np.asarray(values, dtype=np.float64))
    keep = matlab_round(len(v) * fraction)
    if keep <= 0:
        return math.nan
    return float(np.mean(v[:keep]))


def require_frames(n_samples: int, fs: int, what: str) -> int:
    """Loizou's frame count, or Unavailable when the utterance is too short for one frame."""
    count = loizou_num_frames(n_samples, fs)
    if count <= 0:
        win, hop = loizou_framing(fs)
        raise Unavailable(
            f"{what}: the utterance ({n_samples} samples at {fs} Hz) is too short for one "
            f"{FRAME_MS} ms frame (needs at least {win + hop} samples)"
        )
    return count


# ----------------------------------------------------------------------------- metric base


class SpeechMetric(AudioMetric):
    """Base of speech metrics: checks the pair, scores it, records the protocol in details."""

    protocol: ClassVar[str] = ""

    @abstractmethod
    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        """(value, extra details) of a checked pair; raises Unavailable with the reason. A metric with
        `variant_defaults` takes each of its options as a keyword argument."""

    def compute(self, pred: Audio, ref: Audio, ctx: MetricContext | None = None) -> MetricResult:
        """Score `pred` (enhanced/degraded speech) against `ref` (clean speech) for one utterance, under the protocol
        variant `ctx.options` chooses (recorded in the details)."""
        p, r, notes = check_pair(pred, ref)
        variant = self.variant(ctx.options if ctx is not None else {})
        details: dict[str, Any] = {"protocol": self.protocol, **notes, **variant}
        try:
            value, extra = self.score(r, p, notes["sample_rate"], **variant)
        except Unavailable as exc:
            return MetricResult.unavailable(self.name, exc.reason, **{**details, **exc.details})
        details.update(extra)
        return MetricResult(name=self.name, value=float(value), per_item=None, details=details)


def package_version(name: str) -> str:
    """The installed version of a distribution ("unknown" when it cannot be found)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"
