"""Typed, nested method configs: `--set key=value` overrides, profiles as overrides of the defaults."""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

from talkbench.core.errors import BenchError

SWITCH_VALUES = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
"""What a boolean `--set` value may be."""

C = TypeVar("C", bound="MethodConfig")

ALLOWED = "talkbench.allowed"
"""Key of a config field's metadata holding its `Allowed` values."""


@dataclass(frozen=True)
class Allowed:
    """The values a config field takes: a numeric range (either end open or absent) or a set of choices."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()

    def admits(self, value: Any) -> bool:
        """Whether `value` is allowed."""
        if self.choices:
            return value in self.choices
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (self.high is not None and (value > self.high or (self.high_open and value == self.high)))

    def describe(self) -> str:
        """The rule in words ("must be in [0, 1)", "must be >= 1", "must be one of a, b")."""
        if self.choices:
            return "must be one of " + ", ".join(c or '""' for c in self.choices)
        if self.low is not None and self.high is not None:
            return (f"must be in {'(' if self.low_open else '['}{_number(self.low)}, "
                    f"{_number(self.high)}{')' if self.high_open else ']'}")
        if self.low is not None:
            return f"must be {'>' if self.low_open else '>='} {_number(self.low)}"
        if self.high is not None:
            return f"must be {'<' if self.high_open else '<='} {_number(self.high)}"
        return "may be any value"


def bounded(default: Any, low: float | None = None, high: float | None = None, *, low_open: bool = False,
            high_open: bool = False) -> Any:
    """A numeric config field with its allowed range (checked on `--set` and in profiles)."""
    return field(default=default, metadata={ALLOWED: Allowed(low, high, low_open, high_open)})


def one_of(default: str, *choices: str) -> Any:
    """A text config field that takes one of `choices` (checked on `--set` and in profiles)."""
    return field(default=default, metadata={ALLOWED: Allowed(choices=choices or (default,))})


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def allowed_values(cls: type, name: str) -> Allowed | None:
    """The `Allowed` values declared for field `name` of config class `cls` (or of the base class that declared it:
    a subclass that only changes a field's default keeps its base's rule)."""
    for klass in cls.__mro__:
        declared = getattr(klass, "__dataclass_fields__", {}).get(name)
        if declared is not None and ALLOWED in declared.metadata:
            return declared.metadata[ALLOWED]
    return None


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
            try:
                config = config._replace_path(key.split("."), value, key)
            except ValueOutOfRange as exc:
                raise BenchError(f"config field {key}={value!r} of {type(self).__name__}: {exc}") from None
        return config

    def updated(self: C, overrides: dict[str, str]) -> C:
        """A copy with `--set key=value` overrides, each parsed to its field's type and checked against its range."""
        leaves = self.leaves()
        config = self
        for key, raw in overrides.items():
            if key not in leaves:
                node: Any = self
                for part in key.split("."):
                    node = getattr(node, part, None) if isinstance(node, MethodConfig) and part in {
                        f.name for f in dataclasses.fields(node)} else None
                if isinstance(node, MethodConfig):
                    raise BenchError(f"config field {key!r} of {type(self).__name__} is a group: set one of its fields "
                                     f"({', '.join(k for k in leaves if k.startswith(key + '.'))})")
                raise BenchError(f"unknown config field {key!r} for {type(self).__name__}{_hint(key, leaves)}")
            try:
                value = parse_like(raw, leaves[key])
                config = config._replace_path(key.split("."), value, key)
            except ValueOutOfRange as exc:
                raise BenchError(f"--set {key}={raw}: {exc}") from None
        return config

    def _replace_path(self: C, path: list[str], value: Any, key: str) -> C:
        names = {f.name for f in dataclasses.fields(self)}
        head = path[0]
        if head not in names:
            raise BenchError(f"unknown config field {key!r} for {type(self).__name__}{_hint(key, self.leaves())}")
        if len(path) == 1:
            if isinstance(getattr(self, head), MethodConfig):
                raise BenchError(f"config field {key!r} of {type(self).__name__} is a group: set one of its fields ({key}.…)")
            check_value(type(self), head, value)
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
    if not close:  # a typo of the field's own name, without (or with another) group: n_mel -> audio.n_mels
        tails: dict[str, list[str]] = {}
        for k in leaves:
            tails.setdefault(k.rpartition(".")[2], []).append(k)
        close = [k for t in difflib.get_close_matches(tail, list(tails), n=2) for k in tails[t]][:3]
    return f"; did you mean {' or '.join(close)}?" if close else ""


class ValueOutOfRange(BenchError):
    """A config value of the wrong type or outside its field's allowed values (the message says what is allowed)."""


def check_value(cls: type, name: str, value: Any) -> None:
    """Refuse a value of field `name` of config class `cls` that is not finite or not among its allowed values."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueOutOfRange("must be a finite number")
    allowed = allowed_values(cls, name)
    if allowed is None or value is None or allowed.admits(value):
        return
    hint = ""
    if allowed.choices:
        close = difflib.get_close_matches(str(value), list(allowed.choices), n=2, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueOutOfRange(f"{allowed.describe()}{hint}")


def parse_like(raw: str, current: Any) -> Any:
    """A `--set` string parsed to the type of the field's current value (ValueOutOfRange saying the type otherwise)."""
    if isinstance(current, bool):
        if raw.lower() not in SWITCH_VALUES:
            raise ValueOutOfRange(f"{raw!r} is not a switch value: use on/off (or true/false, 1/0)")
        return SWITCH_VALUES[raw.lower()]
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueOutOfRange(f"{raw!r} is not an integer") from None
    if isinstance(current, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueOutOfRange(f"{raw!r} is not a number") from None
    if isinstance(current, (tuple, list)):
        return type(current)(type(current[0])(x) for x in raw.split(",")) if current else tuple(raw.split(","))
    return raw
