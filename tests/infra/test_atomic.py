"""Atomic writes (infra/atomic.py): unique temporary names, whole-or-nothing results, nothing left behind."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from talkbench.infra.atomic import TEMP_MARK, atomic_directory, atomic_file, atomic_write_text, discard, temp_sibling


def test_temporary_names_are_unique_and_marked(tmp_path: Path) -> None:
    names = {temp_sibling(tmp_path / "entry").name for _ in range(100)}
    assert len(names) == 100 and all(n.startswith(f"entry{TEMP_MARK}") for n in names)


def test_atomic_directory_replaces_whole_and_cleans_up_on_error(tmp_path: Path) -> None:
    final = tmp_path / "entry"
    with atomic_directory(final) as tmp:
        (tmp / "a.txt").write_text("first")
    with atomic_directory(final) as tmp:
        (tmp / "b.txt").write_text("second")
    assert sorted(p.name for p in final.iterdir()) == ["b.txt"]  # replaced, not merged
    with pytest.raises(RuntimeError), atomic_directory(final) as tmp:
        (tmp / "c.txt").write_text("half")
        raise RuntimeError("writer died")
    assert sorted(p.name for p in final.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry"]


def test_concurrent_writers_of_one_directory_never_mix(tmp_path: Path) -> None:
    final = tmp_path / "entry"
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(20):
                with atomic_directory(final) as tmp:
                    for part in range(3):
                        (tmp / f"part{part}.txt").write_text(str(n))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({(final / f"part{p}.txt").read_text() for p in range(3)}) == 1  # one writer's complete set
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_atomic_file_keeps_the_old_content_when_the_writer_fails(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    atomic_write_text(path, "old")
    with pytest.raises(ValueError), atomic_file(path) as tmp:
        tmp.write_text("partial")
        raise ValueError
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_discard_removes_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("x")
    (tmp_path / "f").write_text("f")
    discard(tmp_path / "d")
    discard(tmp_path / "f")
    discard(tmp_path / "absent")
    assert list(tmp_path.iterdir()) == []
