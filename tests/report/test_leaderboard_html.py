"""The leaderboard page (report/leaderboard_html.py): tables, legend, charts, run links, clickable install hints."""

from __future__ import annotations

import math
from pathlib import Path

from talkbench.harness.store import ResultRow
from talkbench.report.leaderboard import build_tables, render
from talkbench.report.leaderboard_html import _interval, page, run_links
from tests.kit.html_pages import Page
from tests.kit.run_dirs import INSTALL_URL, index, video_run

REASON = f"alexnet not installed; install it with: bench weights install alexnet --from {INSTALL_URL}"


def row(method: str, metric: str, value: float | None, hib: bool, gt: bool = False, reason: str | None = None) -> ResultRow:
    return ResultRow(run_id=f"{method}-0", task="reconstruct", method=method, variant="", dataset="d", profile="smoke", seed=0,
                     condition="original", metric=metric, value=value, count=10, unavailable_reason=reason,
                     higher_is_better=hib, uses_ground_truth=gt)


ROWS = [row("oracle", "psnr", math.inf, True, gt=True), row("oracle", "lpips", None, False, gt=True, reason=REASON),
        row("a", "psnr", 30.0, True), row("a", "lpips", 0.10, False),
        row("b", "psnr", 25.0, True), row("b", "lpips", None, False, reason=REASON)]


def test_page_has_styled_tables_legend_chart_and_linked_install_hints(bench_home: Path) -> None:
    tables = build_tables(ROWS, {"reconstruct": ("psnr", "lpips")})
    text = render(tables, "html")
    parsed = Page(text)
    words = parsed.words()
    assert "PSNR ↑" in words and "LPIPS ↓" in words and "oracle †" in words
    assert "<b>30.00</b>" in text and "<u>25.00</u>" in text  # the cells are leaderboard._cell_text's
    assert "best" in words and "second best" in words and "ties" in words  # the key
    assert INSTALL_URL in [a.get("href") for t, a in parsed.tags if t == "a"]
    images = [a["src"] for t, a in parsed.tags if t == "img"]
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")  # one chart, inside the page
    assert [t for t, _ in parsed.tags if t == "script"] == []


def test_methods_link_to_their_runs_reports(bench_home: Path) -> None:
    run_dir = video_run(bench_home / "runs", "static", video=False)
    (run_dir / "report.html").write_text("<html></html>")
    index(run_dir)
    from talkbench.harness.store import Store
    from talkbench.report.leaderboard import tables_for

    tables = tables_for(Store().results())
    links = run_links(tables)
    assert links[("reconstruct", "d", "smoke", "static")] == [("s0", (run_dir / "report.html").resolve().as_uri())]
    hrefs = [a.get("href") for t, a in Page(page(tables, links)).tags if t == "a"]
    assert (run_dir / "report.html").resolve().as_uri() in hrefs


def test_no_index_no_links_and_none_created(bench_home: Path) -> None:
    from talkbench.infra.paths import index_path

    assert run_links(build_tables(ROWS)) == {}
    assert not index_path().exists()


def test_error_bars_come_from_the_cells_interval_when_it_has_one() -> None:
    (table,) = build_tables(ROWS, {"reconstruct": ("psnr", "lpips")})
    cell = table.rows["a"]["psnr"]
    assert _interval(cell) is None  # no interval in the cell: no whisker rather than an invented one
    cell.ci_low, cell.ci_high = 29.0, 30.5  # type: ignore[attr-defined]  # what the stats branch adds to Cell
    assert _interval(cell) == (1.0, 0.5)
    assert _interval(table.rows["oracle"]["psnr"]) is None
