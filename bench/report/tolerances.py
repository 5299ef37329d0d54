"""Default tolerances of `bench check --write`: how far each metric may move before a regression is reported.

A tolerance is {"abs": a} (optionally "rel": r): the check passes when |now - baseline| <= a + r * |baseline|. The
smoke suite runs with reproducible numerics, so a closed-form method (static, retrieval, oracle, the denoisers)
reproduces its values to the last digit on any x86-64 CPU; the margins below cover what still differs between
machines (codec builds, library patch versions). Methods trained by an optimiser (their config has an `optim`
group: the NeRFs) get the wider `learned` margin: thousands of steps amplify any float difference, and the smoke
profile trains for a few hundred steps only, so the values are noisier than the papers'.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """The default tolerance of one metric, and why."""

    abs: float
    learned: float | None
    """abs for methods trained by an optimiser (None: the same as `abs`)."""
    why: str


RULES: dict[str, Rule] = {
    "psnr": Rule(0.1, 0.5, "dB; a tenth of a dB is well below the gaps the papers' tables compare (they print 2 decimals)"),
    "psnr_torso": Rule(0.1, 0.5, "dB, as psnr, over fewer pixels"),
    "ssim": Rule(0.003, 0.01, "on [0, 1]; 0.003 is below the 3rd decimal the papers' tables compare"),
    "lpips": Rule(0.003, None, "on [0, 1]; a network metric: float differences across library builds show in the 4th decimal"),
    "lmd": Rule(0.02, 0.1, "pixels; 0.02 px is far below a landmark detector's accuracy"),
    "aue": Rule(0.05, None, "sum of 17 squared AU differences; OpenFace writes AU intensities with 2 decimals"),
    "aue_l": Rule(0.05, None, "as aue, lower-face AUs"),
    "aue_u": Rule(0.05, None, "as aue, upper-face AUs"),
    "lse_c": Rule(0.1, None, "SyncNet confidence (roughly 0-10); a network metric on detected face crops, a tenth is "
                  "below the gaps compared"),
    "lse_d": Rule(0.1, None, "SyncNet distance, as lse_c"),
    "pesq": Rule(0.02, None, "MOS-like score on [1, 4.5]; the enhancement tables print 2 decimals"),
    "pesq_nb": Rule(0.02, None, "as pesq, narrow-band"),
    "csig": Rule(0.02, None, "composite MOS on [1, 5]; the enhancement tables print 2 decimals"),
    "cbak": Rule(0.02, None, "composite MOS on [1, 5]; the enhancement tables print 2 decimals"),
    "covl": Rule(0.02, None, "composite MOS on [1, 5]; the enhancement tables print 2 decimals"),
    "stoi": Rule(0.005, None, "on [0, 1]; 0.005 is below the 2nd decimal the enhancement tables compare"),
    "estoi": Rule(0.005, None, "as stoi"),
    "si_sdr": Rule(0.1, None, "dB; a tenth of a dB, as psnr"),
    "segsnr": Rule(0.1, None, "dB; a tenth of a dB, as psnr"),
}
"""Per metric; a metric not listed gets `fallback`."""


def fallback(precision: int) -> Rule:
    """A metric without a rule: two units of the last decimal its tables show (`Metric.precision`)."""
    step = 10.0 ** -precision
    return Rule(2 * step, 10 * step, f"no rule for this metric: two units of the {precision}th decimal its tables show")


def is_learned(method: str) -> bool:
    """Whether `method` is trained by an optimiser (its config has an `optim` group); unknown names are not."""
    from talkbench.core.errors import BenchError
    from talkbench.core.registries import METHODS

    try:
        config = METHODS.get(method).Config
    except BenchError:  # a baseline may name a method that is no longer registered
        return False
    return any(f.name == "optim" for f in dataclasses.fields(config))


def rule_for(metric: str) -> Rule:
    """The rule of `metric` (its own, or the fallback from its precision)."""
    if metric in RULES:
        return RULES[metric]
    from talkbench.core.errors import BenchError
    from talkbench.core.registries import METRICS

    try:
        precision = METRICS.get(metric).precision
    except BenchError:  # a metric no longer registered: four decimals, the tables' default
        precision = 4
    return fallback(precision)


def default_tolerances(pairs: set[tuple[str, str]]) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """For the (method, metric) pairs of a baseline: the tolerances table ("metric" and, where a learned method
    needs more, "method/metric" keys) and the reason of each metric's rule."""
    table: dict[str, dict[str, float]] = {}
    why: dict[str, str] = {}
    for method, metric in sorted(pairs):
        rule = rule_for(metric)
        table[metric] = {"abs": rule.abs}
        why[metric] = rule.why
        if rule.learned is not None and rule.learned != rule.abs and is_learned(method):
            table[f"{method}/{metric}"] = {"abs": rule.learned}
    return table, why
