"""One dataset version per table: results measured on different content of one dataset (re-prepared from another
video, a changed generator) are never mixed. The latest version (that of the most recently started execution) is
shown; results on older versions are left out with a note saying how many and which."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from talkbench.harness.store import ResultRow

Group = tuple[str, str, str]
"""(task, dataset, profile): the rows one version choice covers."""


def group_of(row: ResultRow) -> Group:
    """The version group of a row."""
    return (row.task, row.dataset, row.profile)


def latest_version(rows: list[ResultRow]) -> tuple[list[ResultRow], list[ResultRow], dict[Group, str]]:
    """Split rows into those on the latest dataset version of their group and those on older ones; with a note per
    group that lost rows."""
    by_group: dict[Group, list[ResultRow]] = defaultdict(list)
    for row in rows:
        by_group[group_of(row)].append(row)
    kept: list[ResultRow] = []
    older: list[ResultRow] = []
    notes: dict[Group, str] = {}
    for group, members in by_group.items():
        newest = max(members, key=lambda r: (r.started or 0.0, r.execution)).dataset_sha
        for row in members:
            (kept if row.dataset_sha == newest else older).append(row)
        stale = [r for r in members if r.dataset_sha != newest]
        if stale:
            shas = sorted({_short(r.dataset_sha) for r in stale})
            runs = sorted({r.run_id for r in stale})
            notes[group] = (f"{len(runs)} run(s) measured on older content of {group[1]} (data {', '.join(shas)}; now "
                            f"{_short(newest)}) are not shown: rerun them to compare")
    return kept, older, notes


def split_versions(rows: list[ResultRow]) -> list[ResultRow]:
    """Every row, with the dataset name marked by its content (`name [data 1a2b3c4d]`) where a group holds several
    versions (for `--all-runs`: all executions shown, each version in its own table)."""
    shas: dict[Group, set[str]] = defaultdict(set)
    for row in rows:
        shas[group_of(row)].add(row.dataset_sha)
    return [dataclasses.replace(row, dataset=f"{row.dataset} [data {_short(row.dataset_sha)}]")
            if len(shas[group_of(row)]) > 1 else row for row in rows]


def _short(sha: str) -> str:
    return sha[:8] if sha else "unknown"
