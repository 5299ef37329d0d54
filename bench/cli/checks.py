"""Checks of the command line's values before any work starts: each bad value is one line naming the option, the
value and what is allowed (`BenchError`), so a typo never costs a training run or a failed-job record."""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.core.profiles import PROFILES

DEVICES = ("auto", "cpu", "cuda")
"""What `--device` takes (and cuda:N)."""
SHA256 = re.compile(r"[0-9a-fA-F]{8,64}")
"""A stated sha256: hex digits, at least the 8 that torchvision publishes."""


def parse_sets(items: list[str] | None) -> dict[str, str]:
    """`--set key=value` items as a dict; a malformed item or a key given twice is refused."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BenchError(f"--set expects key=value, got {item!r}")
        if key in out:
            raise BenchError(f"--set {key} given twice ({key}={out[key]} and {key}={value.strip()}): keep one")
        out[key] = value.strip()
    return out


def check_device(device: str | None) -> None:
    """`--device` is auto, cpu, cuda or cuda:N."""
    if device is not None and device not in DEVICES and not re.fullmatch(r"cuda:\d+", device):
        raise BenchError(f"--device {device!r}: use auto, cpu or cuda (cuda:N for one GPU)")


def check_metric_options(options: dict[str, Any]) -> None:
    """The metric protocol options given on the command line are in range."""
    track = options.get("lse_min_track")
    if track is not None and track < 0:
        raise BenchError(f"--lse-min-track {track}: a track length is a non-negative number of frames")


def check_number(flag: str, value: float | None, low: float, high: float | None = None, *, low_open: bool = False) -> None:
    """A numeric option is finite and in [low, high] (or (low, high] with `low_open`); None (not given) passes."""
    if value is None:
        return
    below = value <= low if low_open else value < low
    if not math.isfinite(value) or below or (high is not None and value > high):
        if high is not None:
            rule = f"in {'(' if low_open else '['}{low:g}, {high:g}]"
        else:
            rule = f"{'>' if low_open else '>='} {low:g}"
        raise BenchError(f"{flag} {value:g}: must be a number {rule}")


def check_sha256(value: str | None) -> None:
    """A stated `--sha256` is hex (8 to 64 digits)."""
    if value is not None and not SHA256.fullmatch(value):
        raise BenchError(f"--sha256 {value}: not a sha256 (64 hex digits; `sha256sum FILE` prints it)")


def run_methods(args: argparse.Namespace) -> list[str]:
    """The methods `bench run` will run, after checking every name, option and `--set` value against the task."""
    from talkbench.core import metric_options
    from talkbench.core.registries import METHODS, METRICS
    from talkbench.datasets.cards import get_card, require_prepared
    from talkbench.harness.tasks import TASKS, method_names

    from talkbench.cli.sweep import expand_grid

    task = TASKS.get(args.task)
    check_device(args.device)
    check_metric_options(metric_options.from_args(args))
    methods: list[str] = []
    for name in args.method:
        if name == "all":
            methods += [m for m in method_names(args.task) if m not in methods]
            continue
        cls = METHODS.get(name)
        if not task.accepts(cls):
            raise BenchError(f"method {name!r} cannot run task {args.task!r} ({task.description.split(':')[0]}); "
                             f"its methods: {', '.join(method_names(args.task))}")
        methods.append(name)
    for dataset in args.dataset:
        card = get_card(dataset)
        if args.task not in card.tasks:
            raise BenchError(f"dataset {dataset!r} serves {card.tasks}, not task {args.task!r}")
        require_prepared(card)
    modality = METRICS.get(task.metrics[0]).modality
    for name in args.metric or ():
        if METRICS.get(name).modality != modality:
            raise BenchError(f"metric {name!r} scores {_kind(METRICS.get(name).modality)}; task {args.task!r} scores "
                             f"{_kind(modality)} (its metrics: {', '.join(task.metrics)})")
    for overrides in expand_grid(args.set_grid):  # every --set value checked for every method before anything runs
        for name in methods:
            METHODS.get(name).config_for(args.profile, overrides)
    return methods


def _kind(modality: str) -> str:
    """What a metric modality scores, in the words of the messages ("audio" metrics score speech)."""
    return "speech" if modality == "audio" else modality


def check_prepare(args: argparse.Namespace) -> None:
    """`bench data prepare`'s options and the files they name, before any decoding or annotating."""
    from pathlib import Path

    from talkbench.infra.paths import input_file

    check_device(args.device)
    check_number("--max-missing", args.max_missing, 0.0, 1.0)
    check_number("--focal", args.focal, 0.0, low_open=True)
    check_number("--stabilizer-iters", args.stabilizer_iters, 1)
    check_number("--fps", args.fps, 0.0, 120.0, low_open=True)
    if args.landmarks:
        from talkbench.perception.landmarks import BACKENDS

        BACKENDS.get(args.landmarks)
    for flag, folder in (("--official-dir", args.official_dir), ("--path", args.path)):
        if folder and Path(folder).exists() and not Path(folder).is_dir():
            raise BenchError(f"{flag} {folder}: not a directory")
    if args.morphable_model:
        from talkbench.face3d.morphable_model import load_morphable_model

        load_morphable_model(input_file(args.morphable_model))
    if args.audio_features:
        from talkbench.prepare.passes.audio_features import is_extractor_name, read_feature_array

        if not is_extractor_name(args.audio_features):
            read_feature_array(input_file(args.audio_features))


def check_filters(args: argparse.Namespace) -> None:
    """`bench leaderboard`'s filters name a known task, dataset, profile and method."""
    from talkbench.core.registries import METHODS
    from talkbench.datasets.cards import get_card
    from talkbench.harness.tasks import TASKS

    if args.task is not None:
        TASKS.get(args.task)
    if args.dataset is not None:
        get_card(args.dataset)
    if args.profile is not None and args.profile not in PROFILES:
        raise BenchError(f"--profile {args.profile!r}: results are stored per profile, use one of {', '.join(PROFILES)}")
    if args.ablation is not None:
        METHODS.get(args.ablation)





def check_found(rows: list[Any], store: Any, args: argparse.Namespace) -> None:
    """Refuse an empty table: nothing stored at all, or nothing under the filters (which are named)."""
    if rows:
        return
    if not store.results():
        raise BenchError(f"no stored results in {store.path}: run bench run first")
    given = [f"{name} {value}" for name, value in (("task", args.task), ("profile", args.profile),
                                                    ("dataset", args.dataset)) if value is not None]
    raise BenchError(f"no stored results for {', '.join(given)}; drop a filter, or run it first (bench run ...)")
