"""Config documentation for `bench list config` (core/config_docs.py): attribute docstrings, inherited and
overridden, metadata docs, nested keys and per-profile defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from talkbench.core.config import MethodConfig, bounded
from talkbench.core.config_docs import DOC, describe_config, field_docs


@dataclass
class Inner(MethodConfig):
    """A nested group."""

    lr: float = bounded(0.01, 0, low_open=True)
    """Learning rate,
    over two lines."""


@dataclass
class Base(MethodConfig):
    """A base config."""

    steps: int = 10
    """Training steps."""
    mode: str = "a"
    """The base's mode."""
    inner: Inner = field(default_factory=Inner)
    undocumented: bool = False


@dataclass
class Child(Base):
    """Changes a default without a docstring, and re-documents another field."""

    steps: int = 20
    mode: str = "b"
    """The child's mode."""
    extra: int = field(default=3, metadata={DOC: "From metadata."})


class FakeMethod:
    Config = Child
    profiles: ClassVar[dict[str, dict[str, Any]]] = {"smoke": {"steps": 2, "inner.lr": 0.5}}

    @classmethod
    def config_for(cls, profile: str) -> MethodConfig:
        return cls.Config().with_values(cls.profiles[profile])


def test_field_docs_inherit_and_override() -> None:
    docs = field_docs(Child)
    assert docs == {"steps": "Training steps.", "mode": "The child's mode.", "extra": "From metadata."}
    assert field_docs(Inner) == {"lr": "Learning rate, over two lines."}


def test_a_class_without_source_uses_metadata_only() -> None:
    made = dataclasses.make_dataclass("Made", [("x", int, field(default=1, metadata={DOC: "An x."})), ("y", int, 2)],
                                      bases=(MethodConfig,))
    assert field_docs(made) == {"x": "An x."}


def test_describe_config_keys_types_profiles_and_rules() -> None:
    info = {f.key: f for f in describe_config(FakeMethod)}
    assert list(info) == ["steps", "mode", "inner.lr", "undocumented", "extra"]
    assert info["inner.lr"].type == "float" and info["inner.lr"].defaults == {"paper": 0.01, "smoke": 0.5}
    assert info["inner.lr"].allowed is not None and info["inner.lr"].allowed.describe() == "must be > 0"
    assert info["steps"].defaults == {"paper": 20, "smoke": 2} and info["steps"].doc == "Training steps."
    assert info["undocumented"].doc == "" and info["undocumented"].allowed is None


def test_every_registered_method_documents_every_key() -> None:
    from talkbench.core.registries import METHODS

    missing = [f"{name}: {f.key}" for name in METHODS.names() for f in describe_config(METHODS.get(name)) if not f.doc]
    assert not missing, "config fields without a docstring (bench list config shows none):\n" + "\n".join(missing)
