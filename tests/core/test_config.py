"""Typed method configs (bench/core/config.py): `--set` values parsed per field type and checked against the field's
declared range or choices, typo'd keys named with close matches, profiles checked the same way."""

from __future__ import annotations

import dataclasses

import pytest

from talkbench.core.config import Allowed, MethodConfig, allowed_values, bounded, one_of
from talkbench.core.errors import BenchError


@dataclasses.dataclass
class Inner(MethodConfig):
    size: int = bounded(4, 1, 8)
    rate: float = bounded(0.5, 0, 1, high_open=True)


@dataclasses.dataclass
class Outer(MethodConfig):
    mode: str = one_of("fast", "fast", "slow")
    gain: float = bounded(1.0, 0, low_open=True)
    on: bool = True
    free: float = -3.0
    inner: Inner = dataclasses.field(default_factory=Inner)


@dataclasses.dataclass
class Child(Outer):
    mode: str = "slow"  # a new default keeps the base's rule


@pytest.mark.parametrize("key, raw, message", [
    ("inner.size", "0", "--set inner.size=0: must be in [1, 8]"),
    ("inner.size", "9", "--set inner.size=9: must be in [1, 8]"),
    ("inner.size", "2.0", "--set inner.size=2.0: '2.0' is not an integer"),
    ("inner.rate", "1", "--set inner.rate=1: must be in [0, 1)"),
    ("gain", "0", "--set gain=0: must be > 0"),
    ("gain", "nan", "--set gain=nan: must be a finite number"),
    ("free", "-inf", "--set free=-inf: must be a finite number"),
    ("free", "x", "--set free=x: 'x' is not a number"),
    ("on", "yes please", "'yes please' is not a switch value"),
    ("mode", "fats", "--set mode=fats: must be one of fast, slow; did you mean 'fast'?"),
    ("inner", "3", "config field 'inner' of Outer is a group: set one of its fields (inner.size, inner.rate)"),
    ("inner.sise", "3", "unknown config field 'inner.sise' for Outer; did you mean inner.size"),
    ("size", "3", "did you mean inner.size?"),
])
def test_bad_values_and_keys_are_named(key: str, raw: str, message: str) -> None:
    with pytest.raises(BenchError) as info:
        Outer().updated({key: raw})
    assert message in str(info.value)


def test_good_values_parse_and_subclasses_keep_the_rule() -> None:
    cfg = Outer().updated({"inner.size": "8", "inner.rate": "0", "gain": "1e-3", "on": "off", "mode": "slow", "free": "-7"})
    assert (cfg.inner.size, cfg.inner.rate, cfg.gain, cfg.on, cfg.mode, cfg.free) == (8, 0.0, 1e-3, False, "slow", -7.0)
    assert allowed_values(Child, "mode") == Allowed(choices=("fast", "slow"))
    with pytest.raises(BenchError, match="must be one of fast, slow"):
        Child().updated({"mode": "medium"})
    with pytest.raises(BenchError, match=r"config field inner.size=0 of Outer: must be in \[1, 8\]"):
        Outer().with_values({"inner.size": 0})  # profiles (typed values) are checked too


def test_every_registered_method_declares_its_ranges() -> None:
    """Every numeric or text field of every method's config says what it takes (so `--set` can refuse the rest),
    except those any finite value suits or that another check owns."""
    from talkbench.core.registries import METHODS

    exempt = {"xi_min_db",  # a dB floor: any finite value
              "window"}  # any scipy window name, checked by the enhancers' check_framing

    def leaves(cfg: MethodConfig):
        for f in dataclasses.fields(cfg):
            value = getattr(cfg, f.name)
            if isinstance(value, MethodConfig):
                yield from leaves(value)
            elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
                yield type(cfg), f.name

    undeclared = sorted({f"{name}: {cls.__name__}.{field}" for name in METHODS.names()
                         for cls, field in leaves(METHODS.get(name).Config())
                         if field not in exempt and allowed_values(cls, field) is None})
    assert not undeclared, undeclared
    for name in METHODS.names():  # every profile is within its own ranges
        for profile in METHODS.get(name).profiles:
            METHODS.get(name).config_for(profile)
