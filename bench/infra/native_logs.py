"""Silencing what native libraries write straight to file descriptor 2 (MediaPipe's glog/absl and TFLite lines).

MediaPipe's C++ graph logs ("W0000 ... inference_feedback_manager.cc", "INFO: Created TensorFlow Lite XNNPACK
delegate for CPU") bypass Python's `sys.stderr` and `warnings`: the library's own worker threads write them to fd 2,
some while a call runs and some just after it returns. So fd 2 points at /dev/null for a graph's whole life (built
to closed), and Python's own `sys.stderr` (progress bars, notes, warnings), when it is the stream on fd 2, is moved
for that time onto a duplicate of the real fd 2, so nothing Python writes is lost.

Thread safety: fd 2 belongs to the whole process. While it points at /dev/null, what any thread's native code writes
there is dropped; Python-level writes are not. Nested and concurrent windows share one redirection (a counter
under a lock), and fd 2 and `sys.stderr` come back when the last one ends.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

_LOCK = threading.Lock()
_DEPTH = 0
_SAVED: int | None = None
"""A duplicate of the real fd 2 while it is redirected."""
_PYTHON: tuple[Any, Any] | None = None
"""(the original sys.stderr, the stream standing in for it) while Python's stderr is moved."""


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Drop native writes to fd 2 for the block; Python's stderr keeps reaching the real stderr."""
    global _DEPTH
    with _LOCK:
        if _DEPTH == 0:
            _start()
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0:
                _stop()


def _start() -> None:
    global _SAVED, _PYTHON
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # a closed or odd stderr: nothing buffered to keep
        pass
    try:
        saved = os.dup(2)
    except OSError:  # the process has no fd 2: nothing to silence
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
    finally:
        os.close(devnull)
    _SAVED = saved
    if _on_fd2(sys.stderr):
        stand_in = io.TextIOWrapper(io.FileIO(os.dup(saved), "w"), encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                                    errors="backslashreplace", line_buffering=True)
        _PYTHON = (sys.stderr, stand_in)
        sys.stderr = stand_in


def _stop() -> None:
    global _SAVED, _PYTHON
    if _PYTHON is not None:
        original, stand_in = _PYTHON
        stand_in.flush()
        if sys.stderr is stand_in:  # left alone if someone replaced it meanwhile
            sys.stderr = original
        stand_in.close()
        _PYTHON = None
    if _SAVED is not None:
        os.dup2(_SAVED, 2)
        os.close(_SAVED)
        _SAVED = None


def _on_fd2(stream: Any) -> bool:
    """Whether `stream` writes to fd 2 (the real sys.stderr, not a test's or a tool's replacement)."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False
