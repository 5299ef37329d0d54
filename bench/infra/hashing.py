"""Content keys for cached stages: inputs, config and the version of the code that actually runs, hashed together."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import json
from pathlib import Path
from typing import Any

FIRST_PARTY = "talkbench"
"""Imports under this name are followed; everything else is a pinned dependency (its version is provenance)."""


def stable_hash(obj: Any, length: int = 16) -> str:
    """Hash of a JSON-able object, independent of dict order."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


_PARSED: dict[tuple[str, int, int], tuple[str, ...]] = {}


_SPECS: dict[str, Any] = {}


def _spec(name: str) -> Any:
    """The module spec of `name`, found without running the module itself: `find_spec` imports only the parent,
    and a parent is looked up only once it is known to be a package (never a module whose attribute `name` is)."""
    if name not in _SPECS:
        parent = name.rpartition(".")[0]
        if parent and not _is_package(parent):
            _SPECS[name] = None
        else:
            try:
                _SPECS[name] = importlib.util.find_spec(name)
            except (ImportError, ValueError, AttributeError):
                _SPECS[name] = None
    return _SPECS[name]


def _is_package(name: str) -> bool:
    spec = _spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def _module_file(name: str) -> Path | None:
    """The source file of a first-party module (None for a name that is not a module, e.g. a class)."""
    spec = _spec(name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imported_names(name: str, path: Path) -> tuple[str, ...]:
    """First-party names a module imports anywhere in its body (a lazy import inside a function is still code it runs)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import: resolve against the package
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                found.append(base)
                found += [f"{base}.{a.name}" for a in node.names]  # `from pkg import module`
        _PARSED[key] = tuple(sorted({n for n in found if n == FIRST_PARTY or n.startswith(FIRST_PARTY + ".")}))
    return _PARSED[key]


def import_closure(*modules: str) -> dict[str, Path]:
    """Every first-party module the given modules import, directly or not (with the packages' __init__ files that
    importing them runs), mapped to its source file."""
    out: dict[str, Path] = {}
    pending = list(modules)
    while pending:
        name = pending.pop()
        if name in out:
            continue
        path = _module_file(name)
        if path is None:
            continue
        out[name] = path
        parent = name.rpartition(".")[0]
        if parent:
            pending.append(parent)
        pending.extend(n for n in _imported_names(name, path) if n not in out)
    return out


def _module_name(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    if inspect.ismodule(obj):
        return obj.__name__
    module = inspect.getmodule(obj)
    if module is None:
        raise TypeError(f"cannot tell which module defines {obj!r}")
    return module.__name__


def code_version(*objects: Any) -> str:
    """Hash of the source of everything `objects` (classes, functions, modules or dotted module names) import.

    A stage's cache is invalidated exactly when code it runs changes: the closure of first-party imports of the
    modules defining `objects`, read from their source (no git needed: an installed copy has no .git, and a
    dirty tree must still invalidate what it changed). Module names, not paths, enter the hash, so the key does
    not depend on where the package lives.
    """
    closure = import_closure(*(_module_name(o) for o in objects))
    digest = hashlib.sha256()
    for name in sorted(closure):
        digest.update(name.encode())
        digest.update(closure[name].read_bytes())
    return digest.hexdigest()[:16]
