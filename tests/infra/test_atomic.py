"""Atomic writes (infra/atomic.py): unique temporary names, whole-or-nothing results, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.infra.atomic import TEMP_MARK, atomic_directory, atomic_file, atomic_write_text, discard, temp_sibling
from tests.kit.threads import run_in_threads


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

    def write(n: int) -> None:
        for _ in range(20):
            with atomic_directory(final) as tmp:
                for part in range(3):
                    (tmp / f"part{part}.txt").write_text(str(n))

    assert not run_in_threads(write)
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
