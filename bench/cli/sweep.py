"""Sweeps of `bench run`: grids from the command line (`--set optim.lr=1e-3,1e-2 --seed 0,1,2`) or a sweep TOML.

A sweep TOML names what the options would (every key optional; the command line adds to lists and replaces scalars):

    task = "reconstruct"
    profile = "smoke"
    method = ["er-nerf", "rad-nerf"]
    dataset = ["synthetic-portrait"]
    seed = [0, 1, 2]
    metric = ["psnr", "lmd"]

    [set]                    # a list is a grid axis, a scalar a fixed override
    "optim.lr" = [1e-3, 1e-2]
    smooth = true
"""

from __future__ import annotations

import argparse
import itertools
import tomllib
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.core.profiles import PROFILES

SWEEP_KEYS = ("task", "profile", "method", "dataset", "seed", "metric", "set")


def split_values(text: str) -> list[str]:
    """`a,b,[c,d]` -> ["a", "b", "[c,d]"]: commas separate grid values except inside brackets or quotes."""
    values, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    values.append("".join(current).strip())
    return values


def parse_set_grid(items: list[str]) -> dict[str, list[str]]:
    """`--set KEY=V1,V2` options as a grid: each key with its values, in the order given."""
    grid: dict[str, list[str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BenchError(f"--set expects KEY=VALUE (or KEY=V1,V2 for a grid), got {item!r}")
        if key.strip() in grid:
            raise BenchError(f"--set {key.strip()} given twice: give one --set {key.strip()}=V1,V2 for a grid")
        values = split_values(value)
        if any(v == "" for v in values) and value.strip():
            raise BenchError(f"--set {item!r} has an empty grid value; write KEY=V1,V2 without a trailing comma")
        grid[key.strip()] = values
    return grid


def parse_seeds(items: list[str] | None) -> list[int]:
    """`--seed 0,1,2 --seed 5` -> [0, 1, 2, 5] (default [0])."""
    seeds: list[int] = []
    for item in items or ["0"]:
        for value in split_values(str(item)):
            try:
                seed = int(value)
            except ValueError:
                raise BenchError(f"--seed {value!r}: a seed is an integer (several: --seed 0,1,2)") from None
            if seed < 0:
                raise BenchError(f"--seed {seed}: a seed is a non-negative integer")
            if seed not in seeds:
                seeds.append(seed)
    return seeds


def expand_grid(grid: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every combination of the grid's values ([{}] for an empty grid)."""
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def _toml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def load_sweep(path: str) -> dict[str, Any]:
    """A sweep TOML as option values (lists of strings; `set` as a grid)."""
    file = Path(path)
    if file.is_dir():
        raise BenchError(f"--sweep {file} is a directory; pass a sweep .toml file")
    try:
        data = tomllib.loads(file.read_text())
    except FileNotFoundError:
        raise BenchError(f"--sweep {file}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BenchError(f"--sweep {file} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(SWEEP_KEYS))
    if unknown:
        raise BenchError(f"--sweep {file}: unknown keys {unknown} (known: {', '.join(SWEEP_KEYS)})")
    sweep: dict[str, Any] = {}
    for key in ("task", "profile"):
        if key in data:
            if not isinstance(data[key], str):
                raise BenchError(f"--sweep {file}: {key} must be one string, not {data[key]!r}")
            sweep[key] = data[key]
    for key in ("method", "dataset", "seed", "metric"):
        if key in data:
            values = data[key] if isinstance(data[key], list) else [data[key]]
            sweep[key] = [_toml_text(v) for v in values]
    if "set" in data:
        if not isinstance(data["set"], dict):
            raise BenchError(f"--sweep {file}: [set] must be a table of KEY = value or [values]")
        sweep["set"] = {k: [_toml_text(x) for x in (v if isinstance(v, list) else [v])] for k, v in data["set"].items()}
    return sweep


def apply_sweep(args: argparse.Namespace) -> None:
    """Merge `--sweep FILE` into the run options (lists extend, the command line's scalars win; seeds become a list
    of ints, the `--set` items a grid in `args.set_grid`), then check that a method and a dataset are named."""
    sweep = load_sweep(args.sweep) if getattr(args, "sweep", None) else {}
    for key in ("method", "dataset", "metric"):
        merged = list(sweep.get(key, [])) + [v for v in (getattr(args, key) or []) if v not in sweep.get(key, [])]
        setattr(args, key, merged or None)
    args.seed = parse_seeds([str(s) for s in sweep.get("seed", [])] + list(args.seed or []) or None)
    args.set_grid = {**sweep.get("set", {}), **parse_set_grid(args.set)}
    if args.task is None:
        args.task = sweep.get("task", "reconstruct")
    if args.profile is None:
        args.profile = sweep.get("profile") or _task_profile(args.task)
    if args.profile not in PROFILES:
        raise BenchError(f"--sweep {args.sweep}: profile must be one of {', '.join(PROFILES)}, not {args.profile!r}")
    if not args.method or not args.dataset:
        raise BenchError("bench run needs --method and --dataset (or a --sweep file that names them)")


def _task_profile(task: str) -> str:
    """The task's default profile (`Task.default_profile`); smoke for a task name that is not registered (the run
    reports that task's error itself)."""
    from talkbench.harness.tasks import TASKS

    try:
        return TASKS.get(task).default_profile
    except BenchError:
        return "smoke"
