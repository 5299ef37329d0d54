"""Content keys for cached stages: inputs, config and code version hashed together."""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any


def stable_hash(obj: Any, length: int = 16) -> str:
    """Hash of a JSON-able object, independent of dict order."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def code_version(*objects: Any) -> str:
    """Hash of the source files defining `objects` (classes, functions, modules or dotted module names).

    A stage's cache is invalidated when the code that produced it changes, without
    depending on git (an installed copy has no .git). A package stands for every .py file in it.
    A class also brings in its `code_modules` (the shared code it is built from, e.g. the NeRF parts).
    """
    import importlib

    digest = hashlib.sha256()
    files: set[Path] = set()
    pending = list(objects)
    while pending:
        obj = pending.pop()
        if isinstance(obj, str):
            obj = importlib.import_module(obj)
        if inspect.isclass(obj):
            pending.extend(getattr(obj, "code_modules", ()))
        module = inspect.getmodule(obj) if not inspect.ismodule(obj) else obj
        if module is None or not getattr(module, "__file__", None):
            continue
        if hasattr(module, "__path__"):  # a package: all of it
            files.update(path for d in module.__path__ for path in Path(d).rglob("*.py"))
        files.add(Path(module.__file__))
    for path in sorted(files):
        digest.update(path.name.encode())  # names, not absolute paths: the key must not depend on the checkout
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def module_of(name: str) -> Any:
    """An imported module by name (for code_version of lazily registered plugins)."""
    return sys.modules[name]
