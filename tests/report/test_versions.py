"""Dataset versions (report/versions.py): the latest content of a dataset is shown, older content noted, never mixed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from talkbench.harness.store import ResultRow
from talkbench.report.leaderboard import render, tables_for
from talkbench.report.versions import latest_version, split_versions


def row(method: str, value: float, sha: str, started: float, dataset: str = "may", task: str = "reconstruct") -> ResultRow:
    return ResultRow(run_id=f"{task}-{dataset}-{method}", task=task, method=method, variant="", dataset=dataset,
                     profile="smoke", seed=0, condition="original", metric="psnr", value=value, count=10,
                     unavailable_reason=None, higher_is_better=True, dataset_sha=sha, execution=f"e{started:g}",
                     started=started)


# `may` re-prepared from another video (sha bbbb) after a, b ran on the first one (aaaa); only b ran again.
ROWS = [row("a", 30.0, "aaaa1111", 1.0), row("b", 25.0, "aaaa1111", 2.0), row("b", 27.0, "bbbb2222", 3.0),
        row("a", 20.0, "cccc", 1.0, dataset="obama")]


def test_latest_version_per_dataset_with_a_note_on_the_rest() -> None:
    kept, older, notes = latest_version(ROWS)
    assert {(r.method, r.dataset, r.value) for r in kept} == {("b", "may", 27.0), ("a", "obama", 20.0)}
    assert {(r.method, r.value) for r in older} == {("a", 30.0), ("b", 25.0)}
    (note,) = notes.values()
    assert "2 run(s)" in note and "older content of may" in note and "aaaa1111" in note and "bbbb2222" in note


def test_leaderboard_never_mixes_versions() -> None:
    tables = {t.dataset: t for t in tables_for(ROWS)}
    assert set(tables["may"].rows) == {"b"} and tables["may"].rows["b"]["psnr"].value == 27.0
    assert not tables["obama"].notes
    text = render(list(tables.values()))
    assert "older content of may" in text and "30.0" not in text


def test_all_runs_gives_each_version_its_own_table() -> None:
    assert {r.dataset for r in split_versions(ROWS)} == {"may [data aaaa1111]", "may [data bbbb2222]", "obama"}
    tables = {t.dataset: t for t in tables_for(ROWS, all_runs=True)}
    assert set(tables["may [data aaaa1111]"].rows) == {"a s0 @ e1", "b s0 @ e2"}
    assert set(tables["may [data bbbb2222]"].rows) == {"b s0 @ e3"}


@pytest.mark.slow
def test_new_dataset_content_gets_its_own_execution_and_is_never_mixed(tiny_cards: Path) -> None:
    import talkbench.datasets.cards as cards
    from talkbench.harness.driver import run_jobs
    from talkbench.harness.store import Store
    from tests.kit.jobs import spec

    store = Store()
    first = run_jobs([spec("static", metrics=("psnr",)), spec("oracle", metrics=("psnr",))], store)
    card = tiny_cards / "synthetic-portrait.toml"
    text = card.read_text()
    changed = re.sub(r"(?m)^seed = (\d+)", lambda m: f"seed = {int(m.group(1)) + 1}", text, count=1)
    assert changed != text
    card.write_text(changed)  # another recording of the same card
    cards._CARDS = None
    (static,) = run_jobs([spec("static", metrics=("psnr",))], store)
    assert static.run_dir != first[0].run_dir and static.rows[0].dataset_sha != first[0].rows[0].dataset_sha
    (table,) = tables_for(store.results())
    assert set(table.rows) == {"static"} and table.rows["static"]["psnr"].value == static.metrics["psnr"].value
    assert "1 run(s) measured on older content of synthetic-portrait" in table.notes[0]
