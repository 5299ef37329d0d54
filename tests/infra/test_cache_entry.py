"""Cache entries (infra/cache_entry.py): built once under concurrency, published whole, checked on every read;
a damaged entry is recomputed with a note naming the file."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from talkbench.infra import notes
from talkbench.infra.cache_entry import MANIFEST, DamagedEntry, cached, guarded_read, verify_manifest, write_manifest
from tests.kit.cache_workers import build_or_reuse


def frames_entry(root: Path) -> tuple[Path, list[int]]:
    """Where a render entry (frames.npy, DONE.json) goes, and a list counting its builds."""
    return root / "render" / "k1", []


def get(final: Path, builds: list[int], value: float = 0.5, refresh: bool = False) -> tuple[np.ndarray, bool]:
    def build(tmp: Path) -> np.ndarray:
        builds.append(1)
        frames = np.full((4, 8, 8, 3), value, np.float32)
        np.save(tmp / "frames.npy", frames)
        (tmp / "DONE.json").write_text(json.dumps({"wall_time_s": 1.0}))
        return frames

    def load(path: Path) -> np.ndarray:
        json.loads((path / "DONE.json").read_text())
        return np.load(path / "frames.npy", allow_pickle=False)

    return cached(final, build, load, label="render", refresh=refresh)


def test_built_once_then_reused_with_a_manifest(tmp_path: Path) -> None:
    final, builds = frames_entry(tmp_path)
    first, reused = get(final, builds)
    again, reused_again = get(final, builds)
    assert (reused, reused_again, len(builds)) == (False, True, 1)
    assert np.array_equal(first, again)
    manifest = json.loads((final / MANIFEST).read_text())
    assert set(manifest["files"]) == {"frames.npy", "DONE.json"} and len(manifest["files"]["frames.npy"]["sha256"]) == 64
    assert sorted(p.name for p in final.parent.iterdir()) == ["k1", "k1.lock"]  # no temporary left behind


@pytest.mark.parametrize("damage", ["zeroed", "garbage", "truncated", "deleted", "bad-done-json", "bad-manifest",
                                    "no-manifest"])
def test_damaged_entry_is_recomputed_with_a_note_naming_the_file(tmp_path: Path, damage: str) -> None:
    final, builds = frames_entry(tmp_path)
    good, _ = get(final, builds)
    frames, done, manifest = final / "frames.npy", final / "DONE.json", final / MANIFEST
    size = frames.stat().st_size
    if damage == "zeroed":
        frames.write_bytes(bytes(size))  # an all-zero render: same size, every byte 0
    elif damage == "garbage":
        frames.write_bytes(np.random.default_rng(0).bytes(size))
    elif damage == "truncated":
        frames.write_bytes(frames.read_bytes()[: size // 2])
    elif damage == "deleted":
        frames.unlink()
    elif damage == "bad-done-json":
        done.write_text("{not json")
    elif damage == "bad-manifest":
        manifest.write_text("{\"files\": ")
    else:
        manifest.unlink()
    with notes.collecting() as seen:
        again, reused = get(final, builds)
    assert not reused and len(builds) == 2 and np.array_equal(again, good)
    assert len(seen) == 1 and "render cache entry is damaged" in seen[0] and "recomputing" in seen[0]
    named = {"bad-done-json": "DONE.json", "bad-manifest": MANIFEST, "no-manifest": MANIFEST}.get(damage, "frames.npy")
    assert str(final / named) in seen[0], seen[0]
    verify_manifest(final)  # the recomputed entry is sound
    assert get(final, builds)[1] and len(builds) == 2


def test_a_value_that_fails_to_load_is_damage(tmp_path: Path) -> None:
    final, builds = frames_entry(tmp_path)
    get(final, builds)
    (final / "DONE.json").write_text("[1, 2]")  # valid JSON, wrong shape, manifest rewritten to match
    write_manifest(final)

    def load(path: Path) -> float:
        return float(json.loads((path / "DONE.json").read_text())["wall_time_s"])

    with notes.collecting() as seen:
        value, reused = cached(final, lambda tmp: (tmp / "DONE.json").write_text('{"wall_time_s": 2}') and 2.0,
                               load, label="train")
    assert not reused and value == 2.0 and "TypeError" in seen[0]


def test_refresh_rebuilds_an_intact_entry(tmp_path: Path) -> None:
    final, builds = frames_entry(tmp_path)
    get(final, builds, 0.5)
    frames, reused = get(final, builds, 0.25, refresh=True)
    assert not reused and len(builds) == 2 and float(frames[0, 0, 0, 0]) == 0.25
    assert float(get(final, builds)[0][0, 0, 0, 0]) == 0.25


def test_leftovers_of_a_killed_writer_are_swept(tmp_path: Path) -> None:
    final, builds = frames_entry(tmp_path)
    final.parent.mkdir(parents=True)
    (final.parent / "k1.tmp-999-abc").mkdir()  # what a writer killed with SIGKILL leaves
    get(final, builds)
    assert sorted(p.name for p in final.parent.iterdir()) == ["k1", "k1.lock"]


def test_threads_build_once(tmp_path: Path) -> None:
    final, builds = frames_entry(tmp_path)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(get(final, builds)[1])) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and sorted(results) == [False] + [True] * 5


@pytest.mark.slow
def test_processes_build_once(tmp_path: Path) -> None:
    builds = tmp_path / "builds"
    builds.mkdir()
    final = tmp_path / "cache" / "train" / "key"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        out = pool.starmap(build_or_reuse, [(str(final), str(builds))] * 3)
    assert len(list(builds.iterdir())) == 1
    assert sorted(reused for _, reused in out) == [False, True, True] and {v for v, _ in out} == {"built once"}


def test_guarded_read_trusts_only_files_matching_their_manifest(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    load = lambda: json.loads((run_dir / "metrics.json").read_text())  # noqa: E731
    assert guarded_read(run_dir, ["metrics.json"], load, what="stored metrics") is None  # absent: silently nothing
    (run_dir / "metrics.json").write_text('{"psnr": 24.83}')
    with notes.collecting() as seen:
        assert guarded_read(run_dir, ["metrics.json"], load, what="stored metrics") is None  # no manifest: not trusted
    assert "MANIFEST.json is missing" in seen[0]
    write_manifest(run_dir, ["metrics.json"])
    assert guarded_read(run_dir, ["metrics.json"], load, what="stored metrics") == {"psnr": 24.83}
    (run_dir / "metrics.json").write_text('{"psnr":  4.07}')  # a tampered value (same size): never read as a number
    with notes.collecting() as seen:
        assert guarded_read(run_dir, ["metrics.json"], load, what="stored metrics") is None
    assert str(run_dir / "metrics.json") in seen[0] and "sha256" in seen[0]


def test_damage_messages_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"abc")
    write_manifest(tmp_path)
    (tmp_path / "a.bin").write_bytes(b"abd")
    with pytest.raises(DamagedEntry, match=r"a\.bin does not match its sha256"):
        verify_manifest(tmp_path)
