"""One-line notes for the user (a damaged cache entry recomputed, a damaged index rebuilt): printed to the terminal
when they happen and collected into the provenance of the job that met them."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from tqdm import tqdm

_SINKS: ContextVar[tuple[list[str], ...]] = ContextVar("talkbench_note_sinks", default=())


def note(message: str) -> None:
    """Print `note: <message>` on stderr (above any progress bar) and add it to every active `collecting()` list."""
    tqdm.write(f"note: {message}", file=sys.stderr)
    for sink in _SINKS.get():
        sink.append(message)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the notes emitted inside the block (in this thread or task) into the yielded list."""
    notes: list[str] = []
    token = _SINKS.set((*_SINKS.get(), notes))
    try:
        yield notes
    finally:
        _SINKS.reset(token)
