"""Save and load a Clip: frames as lossless video, the other arrays compressed (npz without pickle), meta as JSON.

Layout of a stored clip (format 2):
    clip.json      name, fps, sample_rate, n_train, num_frames, resolution, `arrays` (how each array is stored) and meta
    frames.avi     the frames, lossless (`talkbench.io.lossless_video`); any other [T,H,W,3] uint8 array (the wild
                   cards' `clean_frames`) gets its own `<key>.avi`
    arrays.npz     audio, audio tracks and annotations, deflate-compressed; binary masks (bool, or uint8 holding only
                   0 and 1) bit-packed first, so a [T,H,W] mask costs T*H*W/8 bytes before compression
    MANIFEST.json  size and sha256 per file (`save_clip`; checked by `load_clip` and the cache reads)
Every video also records the sha256 of its decoded frames, checked on read: the metrics compare against these frames,
so a decoder that returned anything else would change numbers silently.

Format 1 (talkbench before the compressed store) kept every array, frames included, uncompressed in arrays.npz
(about 2 GB per minute of 512 px video with its masks). It is still read; `load_clip` converts a prepared clip in that
format to format 2 the first time it loads it, with a note (DESIGN.md "Prepared clips are stored compressed").
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core.types import Clip
from talkbench.infra.atomic import atomic_directory
from talkbench.infra.cache_entry import DamagedEntry, lock_for, read_prepared, write_manifest
from talkbench.infra.notes import note
from talkbench.infra.paths import folder_bytes
from talkbench.io.lossless_video import read_frames, write_frames

FORMAT = 2
"""The clip layout `write_clip` writes (1: everything uncompressed in arrays.npz)."""


def write_clip(clip: Clip, directory: Path) -> None:
    """Write `clip` into an existing directory (clip.json, frames.avi, arrays.npz); `save_clip` makes it atomic."""
    arrays = {"frames": clip.frames, "audio": clip.audio}
    arrays.update({f"ann__{k}": v for k, v in clip.annotations.items()})
    arrays.update({f"track__{k}": v for k, v in clip.audio_tracks.items()})
    layout: dict[str, dict[str, Any]] = {}
    compressed: dict[str, np.ndarray] = {}
    for key, value in arrays.items():
        value = np.asarray(value)
        if _is_image_sequence(value):
            write_frames(directory / f"{key}.avi", value, clip.fps)
            layout[key] = {"file": f"{key}.avi", "shape": list(value.shape), "sha256": _digest(value)}
        elif _is_binary(value):
            compressed[key] = np.packbits(value.reshape(-1))
            layout[key] = {"packed": True, "shape": list(value.shape), "dtype": value.dtype.str}
        else:
            compressed[key] = value
    np.savez_compressed(directory / "arrays.npz", **compressed)
    h, w = clip.resolution
    meta = {"format": FORMAT, "name": clip.name, "fps": clip.fps, "sample_rate": clip.sample_rate, "n_train": clip.n_train,
            "num_frames": clip.num_frames, "resolution": [h, w], "arrays": layout, "meta": clip.meta}
    (directory / "clip.json").write_text(json.dumps(meta, indent=2, default=_json_default))


def save_clip(clip: Clip, directory: Path) -> None:
    """Write `clip` atomically into `directory` (its files + MANIFEST.json, checked on load)."""
    with atomic_directory(directory) as tmp:
        write_clip(clip, tmp)
        write_manifest(tmp)


def read_clip(directory: Path) -> Clip:
    """Read a clip written by write_clip (either format); raises what the damaged file raises (see `load_clip`)."""
    meta = json.loads((directory / "clip.json").read_text())
    with np.load(directory / "arrays.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    for key, how in meta.get("arrays", {}).items():
        shape = tuple(int(n) for n in how["shape"])
        if "file" in how:
            arrays[key] = read_frames(directory / how["file"], *shape[:3])
            if _digest(arrays[key]) != how["sha256"]:
                raise DamagedEntry(f"{directory / how['file']} decodes to other frames than were stored (sha256 differs)")
        elif how.get("packed"):
            arrays[key] = np.unpackbits(arrays[key], count=int(np.prod(shape))).astype(np.dtype(how["dtype"])).reshape(shape)
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
    """Read a prepared clip, checked against its manifest (when it has one); a damaged one names its file.

    A clip in format 1 is converted to the compressed format in place (under the folder's lock, with a note)."""
    clip = read_prepared(directory, read_clip, "dataset")
    if stored_format(directory) < FORMAT:
        _convert(clip, directory)
    return clip


def stored_format(directory: Path) -> int:
    """The layout version of the clip stored in `directory` (1: uncompressed arrays.npz)."""
    return int(json.loads((directory / "clip.json").read_text()).get("format", 1))


def stored_summary(directory: Path) -> dict[str, Any]:
    """What a stored clip holds, from clip.json alone (format 1: plus the frames' npy header): `frames`, `fps`,
    `height`, `width`, `format` and its `meta`; what reading clip.json raises when it is unreadable."""
    info = json.loads((directory / "clip.json").read_text())
    fmt = int(info.get("format", 1))
    if fmt >= 2:
        frames, (height, width) = int(info["num_frames"]), info["resolution"]
    else:
        frames, height, width = _legacy_frames_shape(directory / "arrays.npz")[:3]
    return {"frames": frames, "fps": float(info["fps"]), "height": int(height), "width": int(width), "format": fmt,
            "meta": info.get("meta", {})}


def _convert(clip: Clip, directory: Path) -> None:
    """Rewrite a format-1 clip in the current format (once: checked again under the folder's lock)."""
    before = folder_bytes(directory)
    try:
        with lock_for(directory):
            if stored_format(directory) >= FORMAT:
                return
            save_clip(clip, directory)
    except OSError as exc:  # a read-only or full disk: the old layout still reads
        note(f"{directory}: stored uncompressed (an older talkbench's format) and could not be converted "
             f"({exc.strerror or exc}); read as it is")
        return
    note(f"{directory}: converted to the compressed clip format ({before / 1e6:.0f} MB -> "
         f"{folder_bytes(directory) / 1e6:.0f} MB); the clip's frames and arrays are unchanged")


def _legacy_frames_shape(npz: Path) -> tuple[int, ...]:
    """The frames' shape in a format-1 arrays.npz, read from the member's npy header (no array is loaded)."""
    import zipfile

    with zipfile.ZipFile(npz) as archive, archive.open("frames.npy") as handle:
        version = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, _ = read_header(handle)
    return tuple(int(n) for n in shape)


def _is_image_sequence(value: np.ndarray) -> bool:
    """[T,H,W,3] uint8 with at least one frame: stored as lossless video."""
    return value.dtype == np.uint8 and value.ndim == 4 and value.shape[-1] == 3 and value.shape[0] > 0 and value.size > 0


def _is_binary(value: np.ndarray) -> bool:
    """A mask worth bit-packing: bool, or a uint8 array of 2+ dimensions holding only 0 and 1."""
    if value.dtype == np.bool_:
        return value.size > 0
    return value.dtype == np.uint8 and value.ndim >= 2 and value.size > 0 and int(value.max()) <= 1


def _digest(frames: np.ndarray) -> str:
    """sha256 of an array's bytes (C order), without copying a contiguous one."""
    return hashlib.sha256(memoryview(np.ascontiguousarray(frames)).cast("B")).hexdigest()


def _json_default(obj: object) -> object:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
