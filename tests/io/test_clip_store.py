"""The clip store (bench/io/clip_store.py): every array comes back exactly, frames as lossless video and masks
bit-packed; damage names the file; a clip stored by an older talkbench (format 1, uncompressed) is read and converted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import InputError
from talkbench.core.types import Clip
from talkbench.infra.cache_entry import verify_manifest, write_manifest
from talkbench.infra.notes import collecting
from talkbench.io import clip_store
from talkbench.io.clip_store import load_clip, save_clip, stored_format, stored_summary


def _clip(frames: int = 12, height: int = 35, width: int = 33) -> Clip:
    rng = np.random.default_rng(0)
    pictures = (rng.random((frames, height, width, 3)) * 256).astype(np.uint8)
    annotations = {
        "head_mask": (rng.random((frames, height, width)) > 0.5).astype(np.uint8),
        "occluder_mask": rng.random((frames, height, width)) > 0.8,
        "labels": rng.integers(0, 6, (frames, height, width)).astype(np.uint8),  # uint8, not binary: kept as it is
        "landmarks": rng.random((frames, 68, 2)).astype(np.float32),
        "head_pose": rng.random((frames, 4, 4)).astype(np.float32),
        "clean_frames": pictures[::-1].copy(),
        "eye_ratio": rng.random(frames).astype(np.float32),
    }
    audio = rng.standard_normal(frames * 640).astype(np.float32)
    return Clip("c", pictures, 25.0, audio, annotations=annotations, audio_tracks={"clean": audio * 0.5},
                meta={"source_video": "x.mp4", "content_sha256": "abc"})


def _write_format_1(clip: Clip, directory: Path) -> None:
    """A clip as talkbench wrote it before the compressed store: every array uncompressed in arrays.npz."""
    directory.mkdir(parents=True)
    arrays = {"frames": clip.frames, "audio": clip.audio}
    arrays.update({f"ann__{k}": v for k, v in clip.annotations.items()})
    arrays.update({f"track__{k}": v for k, v in clip.audio_tracks.items()})
    np.savez(directory / "arrays.npz", **arrays)
    meta = {"name": clip.name, "fps": clip.fps, "sample_rate": clip.sample_rate, "n_train": clip.n_train, "meta": clip.meta}
    (directory / "clip.json").write_text(json.dumps(meta))
    write_manifest(directory)


def _same(a: Clip, b: Clip) -> None:
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)
    assert a.annotations.keys() == b.annotations.keys() and a.audio_tracks.keys() == b.audio_tracks.keys()
    for key, value in a.annotations.items():
        assert b.annotations[key].dtype == value.dtype and np.array_equal(b.annotations[key], value), key
    for key, value in a.audio_tracks.items():
        assert np.array_equal(b.audio_tracks[key], value), key
    assert (a.name, a.fps, a.n_train, a.meta) == (b.name, b.fps, b.n_train, b.meta)


def test_every_array_comes_back_exactly(tmp_path: Path) -> None:
    clip = _clip()
    save_clip(clip, tmp_path / "clip")
    names = sorted(p.name for p in (tmp_path / "clip").iterdir())
    assert names == ["MANIFEST.json", "ann__clean_frames.avi", "arrays.npz", "clip.json", "frames.avi"]
    with np.load(tmp_path / "clip" / "arrays.npz") as data:
        assert "frames" not in data.files and "ann__clean_frames" not in data.files
        assert data["ann__head_mask"].size == int(np.ceil(clip.annotations["head_mask"].size / 8))  # bit-packed
        assert data["ann__labels"].shape == clip.annotations["labels"].shape  # not a mask: as it is
    _same(clip, load_clip(tmp_path / "clip"))
    assert stored_format(tmp_path / "clip") == 2
    assert stored_summary(tmp_path / "clip") | {"meta": None} == {"frames": 12, "fps": 25.0, "height": 35, "width": 33,
                                                                    "format": 2, "meta": None}


def test_masks_cost_a_bit_per_pixel_or_less(tmp_path: Path) -> None:
    clip = _clip(frames=50, height=64, width=64)
    ramp = np.zeros((50, 64, 64), np.uint8)
    ramp[:, 16:48, 20:44] = 1  # a mask's usual shape: one region
    clip.annotations, clip.audio_tracks = {"head_mask": ramp}, {}
    save_clip(clip, tmp_path / "clip")
    # packed to a bit per pixel, then deflated: a region's rows repeat, so it ends far below that
    assert (tmp_path / "clip" / "arrays.npz").stat().st_size < clip.audio.nbytes + ramp.size / 8 / 10
    assert np.array_equal(load_clip(tmp_path / "clip").annotations["head_mask"], ramp)


def test_damaged_frames_name_the_file(tmp_path: Path) -> None:
    save_clip(_clip(), tmp_path / "clip")
    frames = tmp_path / "clip" / "frames.avi"
    data = bytearray(frames.read_bytes())
    data[len(data) // 2] ^= 0xFF
    frames.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"damaged dataset: .*frames.avi does not match its sha256 .*prepare it again"):
        load_clip(tmp_path / "clip")


def test_frames_that_decode_to_other_pictures_are_refused(tmp_path: Path) -> None:
    """A valid video of other frames under a recomputed manifest: the decoded frames' own digest catches it."""
    clip = _clip()
    save_clip(clip, tmp_path / "clip")
    from talkbench.io.lossless_video import write_frames

    write_frames(tmp_path / "clip" / "frames.avi", clip.frames[::-1].copy())
    write_manifest(tmp_path / "clip")
    with pytest.raises(InputError, match=r"frames.avi decodes to other frames than were stored"):
        load_clip(tmp_path / "clip")


def test_an_uncompressed_clip_is_read_and_converted_once(tmp_path: Path) -> None:
    clip = _clip()
    where = tmp_path / "prepared"
    _write_format_1(clip, where)
    assert stored_summary(where)["frames"] == 12 and stored_summary(where)["format"] == 1
    before = sum(p.stat().st_size for p in where.iterdir())
    with collecting() as notes:
        _same(clip, load_clip(where))
    assert len(notes) == 1 and "converted to the compressed clip format" in notes[0] and str(where) in notes[0]
    assert stored_format(where) == 2 and (where / "frames.avi").is_file()
    verify_manifest(where)
    assert sum(p.stat().st_size for p in where.iterdir()) < before
    with collecting() as notes:
        _same(clip, load_clip(where))
    assert notes == []


def test_an_uncompressed_clip_that_cannot_be_converted_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = _clip()
    _write_format_1(clip, tmp_path / "prepared")

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(clip_store, "save_clip", full_disk)
    with collecting() as notes:
        _same(clip, load_clip(tmp_path / "prepared"))
    assert "could not be converted (No space left on device); read as it is" in notes[0]
    assert stored_format(tmp_path / "prepared") == 1


def test_a_generated_cache_in_the_old_format_still_reads(tmp_path: Path) -> None:
    clip = _clip()
    _write_format_1(clip, tmp_path / "entry")
    _same(clip, clip_store.read_clip(tmp_path / "entry"))
    shutil.rmtree(tmp_path / "entry")
