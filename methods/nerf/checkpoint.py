"""Training checkpoints: model + optimizer state + step + config, saved atomically, loaded safely.

The file is a `torch.save` dict {"format", "step", "config", "model", "optimizer"}. It is written
to a temporary file in the destination folder and renamed over the target, so a crash mid-write
leaves the previous checkpoint intact. Loading uses `torch.load(weights_only=True)`, which
unpickles only tensors and plain containers; that is why `config` must be plain data
(dict/list/tuple/str/int/float/bool/None). A missing, truncated or foreign file raises
`InputError` with one line naming the file.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from talkbench.core.errors import InputError

FORMAT = "talkbench.nerf.checkpoint/1"
"""Value of the file's "format" key; a file without it is not a talkbench NeRF checkpoint."""

_PLAIN = (str, int, float, bool, type(None))


@dataclass
class CheckpointState:
    """What a checkpoint file holds, after loading."""

    step: int
    """Training step at which it was saved."""
    config: dict[str, Any] = field(default_factory=dict)
    """The plain-data config dict given to `save_checkpoint`."""
    model: dict[str, torch.Tensor] = field(default_factory=dict)
    """The model's state_dict."""
    optimizer: dict[str, Any] | None = None
    """The optimizer's state_dict, or None when none was saved."""


def _check_plain(value: Any, where: str) -> None:
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"checkpoint config key {where}.{key!r} must be a str")
            _check_plain(item, f"{where}.{key}")
        return
    raise TypeError(f"checkpoint config {where} is a {type(value).__name__}; only plain data loads with weights_only")


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    config: dict[str, Any] | None = None,
) -> Path:
    """Write model/optimizer state, step and plain-data config to `path` atomically; returns the path."""
    path = Path(path)
    config = dict(config or {})
    _check_plain(config, "config")
    payload = {
        "format": FORMAT,
        "step": int(step),
        "config": config,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same folder as the target, so the final os.replace is a same-filesystem atomic rename;
    # a unique name so concurrent savers never share a temp file; plain open() keeps the umask's
    # permissions (mkstemp would make the checkpoint owner-only).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _one_line(exc: BaseException, limit: int = 300) -> str:
    # Exceptions from torch span several lines (load_state_dict lists every key); the CLI prints one.
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    map_location: str | torch.device = "cpu",
) -> CheckpointState:
    """Read a checkpoint (weights_only); load it into `model` / `optimizer` when given. InputError names a bad file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path}: no such file")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # truncated zip, bad pickle, foreign object: all one readable line
        raise InputError(f"checkpoint {path} is unreadable (corrupt or truncated?): {_one_line(exc)}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(f"checkpoint {path} is not a talkbench NeRF checkpoint (format {FORMAT!r} expected)")
    try:
        # The model state stays the loaded OrderedDict: its _metadata carries module versions.
        state = CheckpointState(
            step=int(payload["step"]),
            config=dict(payload["config"] or {}),
            model=payload["model"],
            optimizer=payload["optimizer"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"checkpoint {path} is incomplete: {_one_line(exc)}") from None
    if not isinstance(state.model, dict):
        raise InputError(f"checkpoint {path} is incomplete: its model state is a {type(state.model).__name__}")
    if model is not None:
        try:
            model.load_state_dict(state.model)
        except RuntimeError as exc:
            raise InputError(f"checkpoint {path} does not fit the model: {_one_line(exc)}") from None
    if optimizer is not None:
        if state.optimizer is None:
            raise InputError(f"checkpoint {path} holds no optimizer state")
        try:
            optimizer.load_state_dict(state.optimizer)
        except (ValueError, KeyError, RuntimeError) as exc:
            raise InputError(f"checkpoint {path} does not fit the optimizer: {_one_line(exc)}") from None
    return state
