"""The method-contract kit: what every registered method must do, checked the same way for each.

Parametrised from the registry (`tests/methods/test_methods.py`), so a new method is checked the moment it
is registered. For video methods (`Method`): train -> render shapes and dtype, determinism (same seed, same frames),
checkpoint round-trip (a copied checkpoint renders the same frames with a fresh method object), refusing a clip
without its declared annotations with a one-line error naming them, and a documented config whose profiles are
valid overrides of the paper defaults. For enhancers (`Enhancer`): same-length finite float32 output, empty in ->
empty out, and the documented config.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core import annotations as annotation_schema
from talkbench.core.config import MethodConfig
from talkbench.core.method import Configurable, Enhancer, Method
from talkbench.core.types import Clip, Drive, Video

CONTRACT_PROFILE = "tiny"
"""The profile the kit runs a method with when it has one (else `smoke`, else the paper defaults)."""


def contract_config(cls: type[Configurable]) -> MethodConfig:
    """The config the kit trains with: the method's `tiny` profile, its `smoke` one, or the defaults."""
    for profile in (CONTRACT_PROFILE, "smoke"):
        if profile in cls.profiles:
            return cls.config_for(profile)
    return cls.Config()


def field_docstrings(cls: type) -> set[str]:
    """Names of the dataclass fields of `cls` followed by a docstring in its source."""
    try:
        tree = ast.parse(inspect.getsource(cls).strip() if cls.__module__ != "builtins" else "")
    except (OSError, TypeError, SyntaxError):
        return set()
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    named = set()
    for stmt, nxt in zip(body, body[1:]):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
                named.add(stmt.target.id)
    return named


def undocumented_fields(config_cls: type[MethodConfig]) -> list[str]:
    """Fields of a config (and of every nested group) without a docstring, as Class.field."""
    missing, pending = [], [config_cls]
    while pending:
        current = pending.pop()
        documented = set().union(*(field_docstrings(c) for c in current.__mro__ if dataclasses.is_dataclass(c)))
        for f in dataclasses.fields(current):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default  # type: ignore[misc]
            if isinstance(default, MethodConfig):
                if f.name not in documented and not (type(default).__doc__ or "").strip():
                    missing.append(f"{current.__name__}.{f.name}")
                pending.append(type(default))
            elif f.name not in documented:
                missing.append(f"{current.__name__}.{f.name}")
    return missing


def check_documented_config(cls: type[Configurable]) -> None:
    """Every field documented; profiles override known fields only; the paper profile is the Config's defaults."""
    assert cls.__doc__ and cls.__doc__.strip(), f"{cls.__name__} has no docstring"
    missing = undocumented_fields(cls.Config)
    assert not missing, f"{cls.name}: config fields without a docstring: {missing}"
    leaves = cls.Config().leaves()
    for profile, values in cls.profiles.items():
        unknown = sorted(set(values) - set(leaves))
        assert not unknown, f"{cls.name}: profile {profile!r} sets unknown fields {unknown}"
    assert "paper" not in cls.profiles, f"{cls.name}: the paper profile is the Config's defaults, written once"
    assert cls.config_for("paper") == cls.Config()


def _drive(clip: Clip, caps: Any, frames: int | None = None) -> Drive:
    test = clip.test()
    n = frames or test.num_frames
    return Drive(audio=test.audio, fps=test.fps, num_frames=n,
                 poses=test.annotations.get(caps.pose_annotation(test.annotations))[:n] if "poses" in caps.inputs else None,
                 reference=test if "ground_truth" in caps.inputs else None,
                 original_frames=test.frames[:n] if "original_frames" in caps.inputs else None)


def _train(method: Method, clip: Clip, workdir: Path, seed: int) -> Any:
    from talkbench.harness.stages import seed_everything

    workdir.mkdir(parents=True, exist_ok=True)
    seed_everything(seed)
    return method.train(clip.train(), workdir, seed)


def check_train_render(cls: type[Method], clip: Clip, tmp: Path) -> Video:
    """Train on the clip's training split, render its test split: uint8 frames of the clip's size, one per drive frame,
    the same frames again from the same seed, and from a copied checkpoint with a fresh method object."""
    method = cls(contract_config(cls))
    caps = method.capabilities()
    ck = _train(method, clip, tmp / "a", seed=3)
    drive = _drive(clip, caps)
    video = method.render(ck, drive)
    h, w = clip.resolution
    assert video.frames.dtype == np.uint8, f"{cls.name} rendered {video.frames.dtype}"
    assert video.frames.shape == (drive.num_frames, h, w, 3), f"{cls.name} rendered {video.frames.shape}"
    assert video.fps == drive.fps

    again = _train(cls(contract_config(cls)), clip, tmp / "b", seed=3)
    np.testing.assert_array_equal(cls(contract_config(cls)).render(again, drive).frames, video.frames,
                                  err_msg=f"{cls.name}: the same seed gave other frames")

    moved = tmp / "moved"
    shutil.copytree(ck.path, moved)
    from talkbench.core.types import Checkpoint

    np.testing.assert_array_equal(cls(contract_config(cls)).render(Checkpoint(path=moved, meta=ck.meta), drive).frames,
                                  video.frames, err_msg=f"{cls.name}: a copied checkpoint rendered other frames")
    return video


def check_refuses_missing_annotations(cls: type[Method], clip: Clip, tmp: Path) -> None:
    """A clip without the declared annotations is refused before any work, with one line naming each of them;
    a method that declares none trains on a clip that carries none."""
    import pytest

    from talkbench.core.errors import InputError

    method = cls(contract_config(cls))
    needed = method.capabilities().annotations
    stripped = dataclasses.replace(clip, annotations={}, meta={k: v for k, v in clip.meta.items() if k != "intrinsics"})
    if needed:
        with pytest.raises(InputError) as refused:
            annotation_schema.require(stripped, needed, cls.name)
        message = str(refused.value)
        assert "\n" not in message and all(name in message for name in needed), message
        with pytest.raises(InputError):  # the method itself refuses too, not with a KeyError deep inside
            _train(method, stripped, tmp / "stripped", seed=0)
    else:
        _train(method, stripped, tmp / "stripped", seed=0)


def check_enhancer(cls: type[Enhancer]) -> None:
    """Noisy speech in, finite float32 of the same length out; empty in, empty out."""
    rng = np.random.default_rng(0)
    sr = 16_000
    t = np.arange(sr) / sr
    noisy = (0.3 * np.sin(2 * np.pi * 220 * t) * (t > 0.3) + 0.02 * rng.standard_normal(sr)).astype(np.float32)
    method = cls(contract_config(cls))
    out = method.denoise(noisy, sr)
    assert out.dtype == np.float32 and out.shape == noisy.shape and np.isfinite(out).all()
    assert method.denoise(np.zeros(0, np.float32), sr).shape == (0,)
    assert method.capabilities().training == "none" and method.capabilities().inputs == frozenset({"noisy_audio"})
