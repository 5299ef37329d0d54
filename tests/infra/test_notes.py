"""Notes (infra/notes.py): printed on stderr at once and collected by every enclosing `collecting()`."""

from __future__ import annotations

import pytest

from talkbench.infra.notes import collecting, note


def test_notes_reach_the_terminal_and_every_collector(capsys: pytest.CaptureFixture[str]) -> None:
    note("before")
    with collecting() as outer:
        note("one")
        with collecting() as inner:
            note("two")
    note("after")
    assert outer == ["one", "two"] and inner == ["two"]
    assert capsys.readouterr().err.splitlines() == ["note: before", "note: one", "note: two", "note: after"]
