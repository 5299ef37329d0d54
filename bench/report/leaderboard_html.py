"""The leaderboard as one static HTML page: styled tables (cell text from `leaderboard._cell_text`, so ranks, ties
and intervals show as the other formats show them), a legend, per-table bar charts with error bars (inline PNG),
each method linked to its run's report.html, and the unavailability footnotes with their install links clickable.
No script, no network: the page is one file."""

from __future__ import annotations

import base64
import html
import io
import math
import time
from pathlib import Path

from talkbench.core.errors import BenchError
from talkbench.harness.run_page import linkify
from talkbench.report.leaderboard import DELTA, Cell, Table, _cell_text, _footnotes, _legend, _metric_info

Links = dict[tuple[str, str, str, str], list[tuple[str, str]]]
"""(task, dataset, profile, row label) -> [(link text, href)] of the runs behind the row."""

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1280px;margin:0 auto;padding:24px 32px;background:#fff;min-height:100vh}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:30px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h4{margin:20px 0 6px}.sub{color:#59636e;margin:0 0 12px}
table{border-collapse:collapse;margin:6px 0 8px}th,td{padding:4px 10px;border-bottom:1px solid #d8dee4;text-align:center}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}td:first-child,th:first-child{text-align:left;white-space:nowrap}
tr.gt td{color:#59636e;font-style:italic}tr:hover td{background:#f6f8fa}td b{color:#0a3069}
.runs{font-size:11px;margin-left:6px}.runs a{margin-right:4px}
.legend{font-size:12px;color:#59636e;max-width:1100px}.key{display:inline-block;border:1px solid #d0d7de;border-radius:6px;
padding:4px 10px;margin:4px 0 12px;font-size:12px;background:#f6f8fa}
ol.notes{font-size:12px;color:#9a6700;max-width:1100px}code{font-size:12px}figure{margin:6px 0 12px}
figure img{max-width:100%;border:1px solid #d8dee4}a{color:#0969da}
.pair{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:flex-start}.pair figure{margin:6px 0}
"""
KEY = ("<div class=key><b>bold</b> best · <u>underlined</u> second best · ≈ tied: the 95 % intervals overlap (equal values tie where there are none) · ↑ higher "
       "is better, ↓ lower is better · † uses the ground truth (upper bound, not ranked) · n/a<sup>k</sup> unavailable, "
       "see note k</div>")


def run_links(tables: list[Table]) -> Links:
    """Each table row's runs (their report.html, else their run directory) from the results index; {} when there is
    no index yet (a fresh $BENCH_HOME is not created by drawing a page)."""
    from talkbench.harness.store import Store
    from talkbench.infra.paths import index_path

    if not index_path().exists():
        return {}
    store = Store()
    links: Links = {}
    for key in dict.fromkeys((t.task.split(",")[0], t.dataset, t.profile) for t in tables):
        task, dataset, profile = key
        runs: dict[str, dict[int, str]] = {}
        for row in store.results(task=task, dataset=dataset, profile=profile):
            runs.setdefault(row.label, {})[row.seed] = row.run_id
        for label, seeds in runs.items():
            for seed, run_id in sorted(seeds.items()):
                record = store.get_run(run_id) or {}
                if record.get("run_dir"):
                    folder = Path(record["run_dir"])
                    target = folder / "report.html" if (folder / "report.html").exists() else folder
                    links.setdefault((*key, label), []).append((f"s{seed}", target.resolve().as_uri()))
    return links


def _interval(cell: Cell | None) -> tuple[float, float] | None:
    """The error bar of a cell as (below, above) the value: its CI (or ± std) when the table model carries one."""
    if cell is None or cell.value is None or not math.isfinite(cell.value):
        return None
    ci = getattr(cell, "ci", None)
    low = getattr(cell, "ci_low", getattr(ci, "low", None))
    high = getattr(cell, "ci_high", getattr(ci, "high", None))
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
        return max(cell.value - low, 0.0), max(high - cell.value, 0.0)
    std = getattr(cell, "std", None)
    if std is not None and math.isfinite(std):
        return std, std
    return None


def chart(table: Table) -> str | None:
    """A PNG (base64) of one bar panel per metric of `table`: finite values per method, error bars where known,
    best and second best coloured; None when no metric has two finite values."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for metric in table.metrics:
        if metric.endswith(DELTA):
            continue
        bars = [(label, cells.get(metric)) for label, cells in table.rows.items()]
        bars = [(label, c) for label, c in bars if c is not None and c.value is not None and math.isfinite(c.value)]
        if len(bars) >= 2:
            panels.append((metric, bars))
    if not panels:
        return None
    cols = min(4, len(panels))
    rows = -(-len(panels) // cols)
    methods = max(len(bars) for _, bars in panels)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, (0.22 * methods + 0.75) * rows), squeeze=False)
    colours = {1: "#0a3069", 2: "#54aeff"}
    for ax, (metric, bars) in zip(axes.ravel(), panels):
        labels = [label + (" †" if label in table.ground_truth_rows else "") for label, _ in bars]
        errors = [_interval(c) for _, c in bars]
        xerr = None
        if any(e is not None for e in errors):
            xerr = [[e[0] if e else 0.0 for e in errors], [e[1] if e else 0.0 for e in errors]]
        ax.barh(range(len(bars)), [c.value for _, c in bars], xerr=xerr, capsize=2, height=0.7,
                color=[colours.get(c.rank or 0, "#afb8c1") for _, c in bars],
                hatch=["//" if label in table.ground_truth_rows else None for label, _ in bars], edgecolor="white")
        name, _ = _metric_info(metric)
        ax.set_title(f"{name} {'↑' if table.higher_is_better.get(metric, True) else '↓'}", fontsize=8)
        ax.set_yticks(range(len(bars)), labels, fontsize=7)  # every panel: rows differ where a value is not finite
        ax.invert_yaxis()  # the table's row order, top to bottom
        ax.tick_params(axis="x", labelsize=6)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _legend_html(table: Table) -> str:
    text = html.escape(_legend(table))
    return text.replace("**bold**", "<b>bold</b>").replace("&lt;u&gt;underlined&lt;/u&gt;", "<u>underlined</u>")


def _table_html(table: Table, notes: dict[str, int], links: Links, anchor: str) -> list[str]:
    infos = [_metric_info(m) for m in table.metrics]
    head = "".join(f"<th>{html.escape(n)} {'↑' if table.higher_is_better.get(m, True) else '↓'}</th>"
                   for m, (n, _) in zip(table.metrics, infos))
    out = [f"<h2 id={anchor}>{html.escape(table.title)}</h2><div class=pair><div>", f"<table><tr><th>Method</th>{head}</tr>"]
    for label, cells in table.rows.items():
        runs = links.get((table.task.split(",")[0], table.dataset, table.profile, label), [])
        run_html = ("<span class=runs>" + "".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a>'
                                                  for text, href in runs) + "</span>") if runs else ""
        gt = label in table.ground_truth_rows
        out.append(f"<tr{' class=gt' if gt else ''}><td>{html.escape(label)}{' †' if gt else ''}{run_html}</td>"
                   + "".join(f"<td>{_cell_text(cells.get(m), d, notes, 'html', table.show_ci)}</td>" for m, (_, d) in zip(table.metrics, infos))
                   + "</tr>")
    out.append(f"</table><p class=legend>{_legend_html(table)}.</p></div>")
    png = chart(table)
    if png:
        out.append(f'<figure><img alt="{html.escape(table.title)}: bar chart per metric" src="data:image/png;base64,{png}">'
                   "<figcaption class=legend>Non-finite values left out; dark: best, light: second, hatched: uses the ground truth; "
                   "whiskers: the stored interval where there is one.</figcaption></figure>")
    out.append("</div>")
    return out


def page(tables: list[Table], links: Links | None = None) -> str:
    """The whole page. It leaves </body></html> to the browser, so `bench leaderboard --with-claims` can append its
    claims tables under it."""
    if links is None:
        try:
            links = run_links(tables)
        except BenchError:  # a damaged index is not the page's business: no links
            links = {}
    notes = _footnotes(tables)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = ["<!doctype html><html lang=en><head><meta charset=utf-8><title>talkbench leaderboard</title>",
           f"<style>{STYLE}</style></head><body><main>", "<h1>talkbench leaderboard</h1>",
           f"<p class=sub>{len(tables)} table(s), generated {stamp}. Each method links to its runs' reports (s = seed).</p>", KEY]
    if len(tables) > 1:  # a long page: its tables first, as links
        out.append("<nav class=legend>Tables: " + " · ".join(f'<a href="#t{i}">{html.escape(t.title)}</a>'
                                                           for i, t in enumerate(tables, 1)) + "</nav>")
    for i, table in enumerate(tables, 1):
        out += _table_html(table, notes, links, f"t{i}")
    if notes:
        out.append("<h2>Notes</h2><ol class=notes>" + "".join(f"<li>unavailable: {linkify(r)}</li>" for r in notes) + "</ol>")
    return "\n".join(out) + "\n"
