"""Options that choose a metric's protocol variant, shared by `bench run` and `bench score`.

They travel in `MetricContext.options`; each metric reads the ones it declares in
`Metric.variant_defaults` and records them in its result.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MetricOption:
    """One command-line option of the metrics."""

    key: str
    """`MetricContext.options` key."""
    flag: str
    help: str
    choices: tuple[str, ...] | None = None
    type: type = str
    metavar: str | None = None
    """What `--help` shows for a free value (choices show themselves)."""


OPTIONS: tuple[MetricOption, ...] = (
    MetricOption("landmarks", "--landmarks", "LMD landmark backend: mediapipe (offline, default) or fan "
                 "(face_alignment 2D-FAN-4, the papers'; needs its weights)", ("mediapipe", "fan")),
    MetricOption("region", "--region", "LMD points: mouth (48-67, default) or face (all 68)", ("mouth", "face")),
    MetricOption("missing_face", "--missing-face", "LMD frames without a face: previous (reuse the last landmarks, "
                 "default) or drop", ("previous", "drop")),
    MetricOption("openface_bin", "--openface-bin", "OpenFace 2.2 FeatureExtraction binary for AUE "
                 "(default: FeatureExtraction on PATH, or $BENCH_OPENFACE_BIN)", metavar="PATH"),
    MetricOption("aue_failed_frames", "--aue-failed-frames", "AUE frames where OpenFace found no face: keep "
                 "(the papers' scripts, default) or drop", ("keep", "drop")),
    MetricOption("lse_min_track", "--lse-min-track", "LSE: minimum face-track length in frames "
                 "(default: syncnet_python's run_pipeline value, 100)", type=int, metavar="FRAMES"),
    MetricOption("pesq_nb_rate", "--pesq-nb-rate", "PESQ-NB sample rate: input (the audio's own 8 or 16 kHz, as the "
                 "pesq package and torchmetrics call it; default) or 8000 (resampled to 8 kHz with soxr first)",
                 ("input", "8000")),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every metric option as a flag of `parser` (default None = the metric's own default)."""
    group = parser.add_argument_group("metric protocol options")
    for opt in OPTIONS:
        group.add_argument(opt.flag, dest=f"metric_{opt.key}", choices=opt.choices, type=opt.type, default=None,
                           help=opt.help, metavar=opt.metavar)


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line (unset ones left out)."""
    values = {opt.key: getattr(args, f"metric_{opt.key}", None) for opt in OPTIONS}
    return {k: v for k, v in values.items() if v is not None}
