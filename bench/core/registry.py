"""One generic registry (lm-evaluation-harness' design): eager or lazy ("module:attr") entries, an entry-point
group read on first use, a `base_cls` every entry must derive from, and "did you mean" on a typo."""

from __future__ import annotations

import difflib
import importlib
import inspect
from importlib.metadata import entry_points
from typing import Any, Callable, Generic, Iterator, TypeVar

from talkbench.core.errors import BenchError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects: registered with a decorator, lazily as "module:attr", or by installed packages
    through the entry-point group `group` (how out-of-tree methods and metrics plug in)."""

    def __init__(self, kind: str, *, base_cls: type | tuple[type, ...] | None = None, group: str | None = None) -> None:
        self.kind = kind
        self.base_cls = base_cls
        self.group = group
        self._objects: dict[str, T] = {}
        self._lazy: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self._origin: dict[str, str] = {}
        self._discovered = group is None

    def _check(self, name: str, obj: Any) -> None:
        if self.base_cls is None:
            return
        ok = issubclass(obj, self.base_cls) if inspect.isclass(obj) else isinstance(obj, self.base_cls)
        if not ok:
            bases = self.base_cls if isinstance(self.base_cls, tuple) else (self.base_cls,)
            raise BenchError(f"{self.kind} {name!r} ({self._origin.get(name, getattr(obj, '__module__', '?'))}) is not a "
                             f"{' or '.join(b.__name__ for b in bases)}")
        declared = getattr(obj, "name", None)
        if inspect.isclass(obj) and isinstance(declared, str) and declared != name:
            raise BenchError(f"{self.kind} registered as {name!r} declares name {declared!r}")

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        """Decorator registering an object under `name` (and optional aliases)."""

        def deco(obj: T) -> T:
            if name in self._objects and self._objects[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._check(name, obj)
            self._objects[name] = obj
            self._lazy.pop(name, None)
            for alias in aliases:
                self._aliases[alias] = name
            return obj

        return deco

    def register_lazy(self, name: str, target: str, *, aliases: tuple[str, ...] = (), origin: str = "") -> None:
        """Register `module:attr`, imported only when the name is first looked up."""
        if name not in self._objects:
            self._lazy[name] = target
            self._origin[name] = origin or target
        for alias in aliases:
            self._aliases[alias] = name

    def unregister(self, name: str) -> None:
        """Forget a name (tests that register a temporary plugin)."""
        self._objects.pop(name, None)
        self._lazy.pop(name, None)
        self._origin.pop(name, None)

    def _discover(self) -> None:
        """Read the entry-point group once: each entry is a lazy `module:attr` under the entry's name."""
        if self._discovered:
            return
        self._discovered = True
        for ep in entry_points(group=self.group):
            if ep.name in self._objects or ep.name in self._lazy:
                continue
            dist = getattr(ep, "dist", None)
            self.register_lazy(ep.name, ep.value, origin=f"{ep.value} from {dist.name if dist else 'an installed package'}")

    def names(self) -> list[str]:
        """All registered names, sorted."""
        self._discover()
        return sorted(set(self._objects) | set(self._lazy))

    def __contains__(self, name: str) -> bool:
        self._discover()
        key = self._aliases.get(name, name)
        return key in self._objects or key in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> T:
        """Look a name up; an unknown name raises UnknownNameError with close matches."""
        self._discover()
        key = self._aliases.get(name, name)
        if key in self._objects:
            return self._objects[key]
        if key in self._lazy:
            module, _, attr = self._lazy[key].partition(":")
            try:
                obj = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise BenchError(f"{self.kind} {key!r}: cannot load {self._origin.get(key, self._lazy[key])}: "
                                 f"{type(exc).__name__}: {exc}") from exc
            self._check(key, obj)
            self._objects[key] = obj
            self._lazy.pop(key, None)
            return obj
        close = difflib.get_close_matches(name, self.names() + list(self._aliases), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names())})")
