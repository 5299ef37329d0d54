"""Benchmark helpers: the repository root on sys.path, and a frames/s summary after the run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_THROUGHPUT: list[tuple[str, float, int, float]] = []
_SUMMARY: list[str] = []


@pytest.fixture(scope="session")
def summary_lines() -> list[str]:
    """Lines a benchmark module appends (ratios, overheads); printed in the terminal summary."""
    return _SUMMARY


@pytest.fixture
def record_throughput():
    """Call with (label, benchmark, n_items) after a benchmark ran: records items/s = n / mean time."""

    def record(label: str, benchmark, n_items: int) -> float:
        stats = getattr(benchmark, "stats", None)
        if stats is None:  # --benchmark-disable: the function ran once, untimed
            return float("nan")
        mean = float(stats.stats.mean)
        rate = n_items / mean
        benchmark.extra_info.update(items=n_items, items_per_s=rate)
        _THROUGHPUT.append((label, rate, n_items, mean))
        return rate

    return record


def pytest_terminal_summary(terminalreporter) -> None:
    if _SUMMARY:
        terminalreporter.section("measured ratios")
        for line in _SUMMARY:
            terminalreporter.write_line(line)
    if not _THROUGHPUT:
        return
    terminalreporter.section("throughput (items / mean time)")
    for label, rate, n, mean in _THROUGHPUT:
        terminalreporter.write_line(f"{label:<40} {rate:10.1f} /s   ({n} in {mean * 1000:.1f} ms)")
