"""Typed, nested method configs: `--set key=value` overrides, profiles as overrides of the defaults."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any, TypeVar

from talkbench.core.errors import BenchError

SWITCH_VALUES = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
"""What a boolean `--set` value may be."""

C = TypeVar("C", bound="MethodConfig")


@dataclass
class MethodConfig:
    """Base of typed method configs. Fields may be nested configs (grid, optim, sampling, stages), addressed
    by dotted keys (`optim.lr`); the defaults are the paper's configuration and profiles override them."""

    def to_dict(self) -> dict[str, Any]:
        """Plain (nested) dict of the config, stored with every result and checkpoint."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """Rebuild a config from `to_dict` output; keys the class no longer has are ignored (old checkpoints)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            default = _default_of(f)
            if isinstance(default, MethodConfig) and isinstance(data[f.name], dict):
                values[f.name] = type(default).from_dict(data[f.name])
            elif isinstance(default, tuple) and isinstance(data[f.name], list):
                values[f.name] = tuple(data[f.name])
            else:
                values[f.name] = data[f.name]
        return cls(**values)

    def leaves(self, prefix: str = "") -> dict[str, Any]:
        """Every settable field as a dotted key and its value."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, MethodConfig):
                out.update(value.leaves(f"{prefix}{f.name}."))
            else:
                out[f"{prefix}{f.name}"] = value
        return out

    def with_values(self: C, values: dict[str, Any]) -> C:
        """A copy with typed values set by dotted key (profiles); unknown keys raise BenchError."""
        config = self
        for key, value in values.items():
            config = config._replace_path(key.split("."), value, key)
        return config

    def updated(self: C, overrides: dict[str, str]) -> C:
        """A copy with `--set key=value` overrides, each parsed to its field's type."""
        leaves = self.leaves()
        typed = {}
        for key, raw in overrides.items():
            if key not in leaves:
                raise BenchError(f"unknown config field {key!r} for {type(self).__name__}{_hint(key, leaves)}")
            typed[key] = parse_like(raw, leaves[key])
        return self.with_values(typed)

    def _replace_path(self: C, path: list[str], value: Any, key: str) -> C:
        names = {f.name for f in dataclasses.fields(self)}
        head = path[0]
        if head not in names:
            raise BenchError(f"unknown config field {key!r} for {type(self).__name__}{_hint(key, self.leaves())}")
        if len(path) == 1:
            if isinstance(getattr(self, head), MethodConfig):
                raise BenchError(f"config field {key!r} of {type(self).__name__} is a group: set one of its fields ({key}.…)")
            return dataclasses.replace(self, **{head: value})
        child = getattr(self, head)
        if not isinstance(child, MethodConfig):
            raise BenchError(f"unknown config field {key!r} for {type(self).__name__}{_hint(key, self.leaves())}")
        return dataclasses.replace(self, **{head: child._replace_path(path[1:], value, key)})


def _default_of(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def _hint(key: str, leaves: dict[str, Any]) -> str:
    tail = key.rpartition(".")[2]
    exact = [k for k in leaves if k.rpartition(".")[2] == tail]
    close = exact or difflib.get_close_matches(key, list(leaves), n=2)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def parse_like(raw: str, current: Any) -> Any:
    """A `--set` string parsed to the type of the field's current value."""
    if isinstance(current, bool):
        if raw.lower() not in SWITCH_VALUES:
            raise BenchError(f"{raw!r} is not a switch value: use on/off (or true/false, 1/0)")
        return SWITCH_VALUES[raw.lower()]
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, (tuple, list)):
        return type(current)(type(current[0])(x) for x in raw.split(",")) if current else tuple(raw.split(","))
    return raw
