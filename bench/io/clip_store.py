"""Save and load a Clip as plain arrays (npz without pickle) plus JSON metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from talkbench.infra.atomic import atomic_directory
from talkbench.core.errors import InputError
from talkbench.core.types import Clip


def save_clip(clip: Clip, directory: Path) -> None:
    """Write `clip` atomically into `directory` (arrays.npz + clip.json)."""
    arrays = {"frames": clip.frames, "audio": clip.audio}
    arrays.update({f"ann__{k}": v for k, v in clip.annotations.items()})
    arrays.update({f"track__{k}": v for k, v in clip.audio_tracks.items()})
    meta = {"name": clip.name, "fps": clip.fps, "sample_rate": clip.sample_rate, "n_train": clip.n_train, "meta": clip.meta}
    with atomic_directory(directory) as tmp:
        np.savez(tmp / "arrays.npz", **arrays)
        (tmp / "clip.json").write_text(json.dumps(meta, indent=2, default=_json_default))


def load_clip(directory: Path) -> Clip:
    """Read a clip written by save_clip; a damaged cache names its directory."""
    try:
        meta = json.loads((directory / "clip.json").read_text())
        with np.load(directory / "arrays.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{directory}: damaged dataset cache ({exc}); delete it to regenerate") from exc
    return Clip(
        name=meta["name"],
        frames=arrays.pop("frames"),
        fps=meta["fps"],
        audio=arrays.pop("audio"),
        sample_rate=meta["sample_rate"],
        annotations={k[5:]: v for k, v in arrays.items() if k.startswith("ann__")},
        audio_tracks={k[7:]: v for k, v in arrays.items() if k.startswith("track__")},
        n_train=meta["n_train"],
        meta=meta["meta"],
    )


def _json_default(obj: object) -> object:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
