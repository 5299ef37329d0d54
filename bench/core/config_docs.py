"""What a method's config offers `--set`: each settable key with its type, default per profile, allowed values and
documentation.

Config fields are documented the way the code base already does it, by a string literal under the field (an
"attribute docstring", PEP 257/258); those are read from the source with `ast`, so no field is declared twice.
A field may instead carry `metadata={"doc": "..."}` (for a generated class without source); that wins.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from talkbench.core.config import Allowed, MethodConfig, allowed_values

DOC = "doc"
"""Key of a field's metadata holding its documentation when it has no attribute docstring."""


@dataclass(frozen=True)
class FieldInfo:
    """One `--set` key of a config."""

    key: str
    """Dotted for fields of nested groups (`optim.lr`)."""
    type: str
    defaults: dict[str, Any]
    """Value per profile, "paper" (the config's defaults) first."""
    allowed: Allowed | None
    doc: str


@lru_cache(maxsize=None)
def _attribute_docs(klass: type) -> dict[str, str]:
    """The attribute docstrings declared in `klass`'s own body (not its bases'), by field name."""
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):  # a class built at run time has no source: its fields may use metadata["doc"]
        return {}
    node = ast.parse(source).body[0]
    if not isinstance(node, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    for stmt, after in zip(node.body, node.body[1:]):
        if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)):
            docs[stmt.target.id] = " ".join(inspect.cleandoc(after.value.value).split())
    return docs


def field_docs(cls: type) -> dict[str, str]:
    """Documentation of every field of dataclass `cls`: a subclass's docstring (or metadata) replaces its base's, a
    subclass that only changes a default keeps its base's."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if dataclasses.is_dataclass(klass):
            docs.update(_attribute_docs(klass))
    for f in dataclasses.fields(cls):
        if f.metadata.get(DOC):
            docs[f.name] = str(f.metadata[DOC])
    return docs


def _type_name(annotation: Any) -> str:
    """The annotation as written (`from __future__ import annotations` keeps it a string)."""
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _walk(config: MethodConfig, prefix: str = "") -> list[tuple[str, type, dataclasses.Field, str]]:
    """(dotted key, owning class, field, doc) of every leaf field, in declaration order."""
    out = []
    docs = field_docs(type(config))
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, MethodConfig):
            out += _walk(value, f"{prefix}{f.name}.")
        else:
            out.append((f"{prefix}{f.name}", type(config), f, docs.get(f.name, "")))
    return out


def describe_config(method_cls: Any) -> list[FieldInfo]:
    """Every `--set` key of a registered method (a `Configurable` class), with its default under each profile."""
    profiles = {"paper": method_cls.Config()}
    for name in method_cls.profiles:
        profiles[name] = method_cls.config_for(name)
    leaves = {name: config.leaves() for name, config in profiles.items()}
    return [FieldInfo(key, _type_name(f.type), {p: values[key] for p, values in leaves.items()},
                      allowed_values(owner, f.name), doc)
            for key, owner, f, doc in _walk(profiles["paper"])]
