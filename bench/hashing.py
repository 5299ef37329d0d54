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
    """Hash of the source files defining `objects` (classes, functions or modules).

    A stage's cache is invalidated when the code that produced it changes, without
    depending on git (an installed copy has no .git).
    """
    digest = hashlib.sha256()
    files: set[Path] = set()
    for obj in objects:
        module = inspect.getmodule(obj) if not inspect.ismodule(obj) else obj
        if module is None or not getattr(module, "__file__", None):
            continue
        files.add(Path(module.__file__))
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def module_of(name: str) -> Any:
    """An imported module by name (for code_version of lazily registered plugins)."""
    return sys.modules[name]
