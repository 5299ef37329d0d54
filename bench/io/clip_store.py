"""Save and load a Clip as plain arrays (npz without pickle) plus JSON metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from talkbench.infra.atomic import atomic_directory
from talkbench.infra.cache_entry import read_prepared, write_manifest
from talkbench.core.types import Clip


def write_clip(clip: Clip, directory: Path) -> None:
    """Write `clip` into an existing directory (arrays.npz + clip.json); `save_clip` makes it atomic."""
    arrays = {"frames": clip.frames, "audio": clip.audio}
    arrays.update({f"ann__{k}": v for k, v in clip.annotations.items()})
    arrays.update({f"track__{k}": v for k, v in clip.audio_tracks.items()})
    meta = {"name": clip.name, "fps": clip.fps, "sample_rate": clip.sample_rate, "n_train": clip.n_train, "meta": clip.meta}
    np.savez(directory / "arrays.npz", **arrays)
    (directory / "clip.json").write_text(json.dumps(meta, indent=2, default=_json_default))


def save_clip(clip: Clip, directory: Path) -> None:
    """Write `clip` atomically into `directory` (arrays.npz + clip.json + MANIFEST.json, checked on load)."""
    with atomic_directory(directory) as tmp:
        write_clip(clip, tmp)
        write_manifest(tmp)


def read_clip(directory: Path) -> Clip:
    """Read a clip written by write_clip; raises what the damaged file raises (see `load_clip`)."""
    meta = json.loads((directory / "clip.json").read_text())
    with np.load(directory / "arrays.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
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


def load_clip(directory: Path) -> Clip:
    """Read a clip written by save_clip, checked against its manifest (when it has one); a damaged one names its file."""
    return read_prepared(directory, read_clip, "dataset")


def _json_default(obj: object) -> object:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
