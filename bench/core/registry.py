"""One generic registry for methods, metrics and datasets (decorator, lazy entries, "did you mean")."""

from __future__ import annotations

import difflib
import importlib
from typing import Callable, Generic, Iterator, TypeVar

from talkbench.core.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects; entries may be registered eagerly (decorator) or lazily ("module:attr")."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._objects: dict[str, T] = {}
        self._lazy: dict[str, str] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        """Decorator registering an object under `name` (and optional aliases)."""

        def deco(obj: T) -> T:
            if name in self._objects and self._objects[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._objects[name] = obj
            self._lazy.pop(name, None)
            for alias in aliases:
                self._aliases[alias] = name
            return obj

        return deco

    def register_lazy(self, name: str, target: str, *, aliases: tuple[str, ...] = ()) -> None:
        """Register `module:attr`, imported only when the name is first looked up."""
        if name not in self._objects:
            self._lazy[name] = target
        for alias in aliases:
            self._aliases[alias] = name

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(set(self._objects) | set(self._lazy))

    def __contains__(self, name: str) -> bool:
        return self._aliases.get(name, name) in self._objects or self._aliases.get(name, name) in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> T:
        """Look a name up; an unknown name raises UnknownNameError with close matches."""
        key = self._aliases.get(name, name)
        if key in self._objects:
            return self._objects[key]
        if key in self._lazy:
            module, _, attr = self._lazy[key].partition(":")
            obj = getattr(importlib.import_module(module), attr)
            self._objects[key] = obj
            self._lazy.pop(key, None)
            return obj
        close = difflib.get_close_matches(name, self.names() + list(self._aliases), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names())})")
