"""Turn stored results into the papers' tables: ↑/↓ per metric, best bold, second best underlined where the 95 %
intervals separate (≈ marks ties), mean ± std over seeds, and with `ci` the intervals themselves (report.ranking)."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from talkbench.core.errors import BenchError
from talkbench.harness.store import ResultRow
from talkbench.report.deltas import ItemLoader, delta_cell
from talkbench.report.ranking import BY_VALUE, Cell, cell_from_rows, rank_cells

FORMATS = ("md", "csv", "tex", "html")
UP_TEX, DOWN_TEX, DAGGER_TEX = "$\\uparrow$", "$\\downarrow$", "$^\\dagger$"


@dataclass
class Table:
    """One leaderboard table (a task on a dataset, profile and condition)."""

    task: str
    dataset: str
    profile: str
    condition: str
    metrics: list[str]
    higher_is_better: dict[str, bool]
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    ground_truth_rows: set[str] = field(default_factory=set)
    variants: dict[str, set[str]] = field(default_factory=dict)
    """Per metric, the protocol variants its values were measured with ("" = the metric's defaults)."""
    notes: list[str] = field(default_factory=list)
    """What the table leaves out and why (results on older dataset content), shown under it."""
    ranked_by: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Per ranked metric: (report.ranking.BY_INTERVAL or BY_VALUE, why by value)."""
    show_ci: bool = False
    """Print each cell's 95 % interval (`render(..., ci=True)`)."""

    @property
    def title(self) -> str:
        """Heading of the table."""
        cond = "" if self.condition in ("original", "all") else f", {self.condition}"
        return f"{self.task} — {self.dataset} ({self.profile} profile{cond})"


DELTA = ":delta"
"""Suffix of an ablation table's difference columns (`ablation_tables`)."""
CONDITION_SEP = "@"
"""Joins a condition and a metric in the columns of a side-by-side table (`side_by_side`)."""


def _metric_info(name: str) -> tuple[str, int]:
    """Display name and decimals of a metric (from its plugin when it says so)."""
    from talkbench.core.registries import METRICS

    if name.endswith(DELTA):
        base, decimals = _metric_info(name[: -len(DELTA)])
        return f"Δ{base}", decimals
    if CONDITION_SEP in name:
        condition, metric = name.split(CONDITION_SEP, 1)
        base, decimals = _metric_info(metric)
        return f"{base} ({condition})", decimals
    try:
        cls = METRICS.get(name)
        return cls.display_name or name.upper(), cls.precision
    except BenchError:  # an unknown metric in an old store still shows
        return name.upper(), 4


def build_tables(rows: list[ResultRow], metric_order: dict[str, tuple[str, ...]] | None = None,
                 condition_order: dict[str, tuple[str, ...]] | None = None,
                 label_of: Callable[[ResultRow], str] | None = None) -> list[Table]:
    """Group rows into tables; average seeds; rank rows that do not use ground truth. `label_of` names a row's table
    row (default `ResultRow.label`; `--all-runs` adds seed and execution)."""
    label_of = label_of or (lambda r: r.label)
    groups: dict[tuple[str, str, str, str], list[ResultRow]] = defaultdict(list)
    for row in rows:
        groups[(row.task, row.dataset, row.profile, row.condition)].append(row)

    def order(key: tuple[str, str, str, str]) -> tuple:
        known = list((condition_order or {}).get(key[0], ()))
        position = known.index(key[3]) if key[3] in known else len(known)
        return (key[0], key[1], key[2], position, key[3])

    tables = []
    for (task, dataset, profile, condition), group in sorted(groups.items(), key=lambda kv: order(kv[0])):
        preferred = list((metric_order or {}).get(task, ()))
        metrics = [m for m in preferred if any(r.metric == m for r in group)]
        metrics += sorted({r.metric for r in group} - set(metrics))
        table = Table(task, dataset, profile, condition, metrics,
                      {r.metric: r.higher_is_better for r in group})
        # The latest result per (label, metric, seed) wins; seeds are then averaged.
        latest: dict[tuple[str, str, int], ResultRow] = {}
        for row in group:
            latest[(label_of(row), row.metric, row.seed)] = row
            if row.uses_ground_truth:
                table.ground_truth_rows.add(label_of(row))
        per_cell: dict[tuple[str, str], list[ResultRow]] = defaultdict(list)
        for (label, metric, _seed), row in latest.items():
            per_cell[(label, metric)].append(row)
        for (label, metric), cell_rows in sorted(per_cell.items()):
            table.variants.setdefault(metric, set()).update(
                _variant_label(metric, r.details) for r in cell_rows if r.unavailable_reason is None)
            table.rows.setdefault(label, {})[metric] = cell_from_rows(cell_rows)
        _rank(table)
        tables.append(table)
    return tables


def _variant_label(metric: str, details: dict | None) -> str:
    """The metric's non-default protocol options recorded in `details`, as "key=value, ..." ("" if none)."""
    from talkbench.core.registries import METRICS

    try:
        defaults = METRICS.get(metric).variant_defaults
    except BenchError:
        return ""
    details = details or {}
    return ", ".join(f"{k}={details[k]}" for k, v in defaults.items() if k in details and details[k] != v)


def _rank(table: Table) -> None:
    for metric in table.metrics:
        if metric.endswith(DELTA):
            continue  # an ablation's differences are read, not ranked
        if len(table.variants.get(metric, ())) > 1:
            continue  # values measured under different protocols are not ranked against each other
        cells = [(label, cells[metric]) for label, cells in table.rows.items()
                 if metric in cells and cells[metric].value is not None and label not in table.ground_truth_rows
                 and not math.isnan(cells[metric].value)]
        if cells:
            table.ranked_by[metric] = rank_cells(cells, table.higher_is_better.get(metric, True))


def _fmt(value: float, decimals: int) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{decimals}f}"


def _footnotes(tables: list[Table]) -> dict[str, int]:
    notes: dict[str, int] = {}
    for table in tables:
        for cells in table.rows.values():
            for cell in cells.values():
                if cell.value is None and cell.reason not in notes:
                    notes[cell.reason or ""] = len(notes) + 1
    return notes


def render(tables: list[Table], fmt: str = "md", ci: bool = False) -> str:
    """The tables in one of FORMATS; `ci` prints each cell's 95 % interval (csv always has it)."""
    if fmt not in FORMATS:
        from talkbench.core.errors import BenchError

        raise BenchError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not tables:
        return "(no stored results match)\n"
    tables = [dataclasses.replace(t, show_ci=ci) for t in tables]
    return {"md": _markdown, "csv": _csv, "tex": _latex, "html": _html}[fmt](tables)


def _cell_text(cell: Cell | None, decimals: int, notes: dict[str, int], style: str, ci: bool = False) -> str:
    if cell is None:
        return "–"
    if cell.value is None:
        mark = notes.get(cell.reason or "", 0)
        return {"md": f"n/a[^{mark}]", "tex": f"n/a$^{{{mark}}}$", "html": f"n/a<sup>{mark}</sup>"}[style]
    text = _fmt(cell.value, decimals)
    if style == "tex" and math.isinf(cell.value):
        text = "$\\infty$"
    if cell.std is not None and cell.seeds >= 2:
        text += (" $\\pm$ " if style == "tex" else " ± ") + _fmt(cell.std, decimals)
    wrap = {
        "md": ("**{}**", "<u>{}</u>"),
        "tex": ("\\textbf{{{}}}", "\\underline{{{}}}"),
        "html": ("<b>{}</b>", "<u>{}</u>"),
    }[style]
    if cell.rank == 1:
        text = wrap[0].format(text)
    elif cell.rank == 2:
        text = wrap[1].format(text)
    if cell.tied:
        text += "$\\approx$" if style == "tex" else "≈"
    if ci and cell.ci_low is not None and cell.ci_high is not None:
        text += f" [{_fmt(cell.ci_low, decimals)}, {_fmt(cell.ci_high, decimals)}]"
    return text


def _legend(table: Table) -> str:
    kinds = {kind for kind, _ in table.ranked_by.values()}
    parts = ["best **bold**, second <u>underlined</u>" + (
        " where their 95 % intervals separate (≈: tied, the intervals overlap)" if kinds - {BY_VALUE} else "")]
    by_value = [f"{_metric_info(m)[0]} ({why})" if why else _metric_info(m)[0]
                for m, (kind, why) in table.ranked_by.items() if kind == BY_VALUE]
    if by_value:
        parts.append(f"ranked by value alone, ties untested: {'; '.join(by_value)}")
    cells = [c for row in table.rows.values() for c in row.values()]
    if any(c.std is not None for c in cells):
        parts.append("± std over seeds")
    if table.show_ci and any(c.ci_low is not None for c in cells):
        overs = sorted({c.ci_over for c in cells if c.ci_low is not None})
        parts.append(f"[low, high]: 95 % CI over {' / '.join(overs)} (frames: percentile bootstrap of one seed's "
                     "frames; seeds: t-interval of the seed mean; paired frames: paired bootstrap of the Δ)")
    if table.ground_truth_rows:
        parts.append(f"{', '.join(sorted(table.ground_truth_rows))} uses the ground truth (upper bound, not ranked)")
    for metric in table.metrics:
        if metric.endswith(DELTA):
            continue
        variants = sorted(table.variants.get(metric, ()))
        name = _metric_info(metric)[0]
        if len(variants) > 1:
            parts.append(f"{name} mixes protocol variants ({'; '.join(v or 'defaults' for v in variants)}): not ranked")
        elif variants and variants[0]:
            parts.append(f"{name} measured with {variants[0]}")
    return "; ".join(parts + table.notes)


def _markdown(tables: list[Table]) -> str:
    notes = _footnotes(tables)
    out = []
    for table in tables:
        infos = [_metric_info(m) for m in table.metrics]
        head = ["Method"] + [f"{name} {'↑' if table.higher_is_better[m] else '↓'}" for m, (name, _) in zip(table.metrics, infos)]
        out += [f"### {table.title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for label, cells in table.rows.items():
            row = [label + (" †" if label in table.ground_truth_rows else "")]
            row += [_cell_text(cells.get(m), dec, notes, "md", table.show_ci) for m, (_, dec) in zip(table.metrics, infos)]
            out.append("| " + " | ".join(row) + " |")
        out += ["", f"_{_legend(table)}._", ""]
    for reason, mark in notes.items():
        out.append(f"[^{mark}]: unavailable: {reason}")
    return "\n".join(out).rstrip() + "\n"


def _csv(tables: list[Table]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["task", "dataset", "profile", "condition", "method", "metric", "value", "higher_is_better", "rank", "seeds",
                     "unavailable_reason", "std", "ci_low", "ci_high", "ci_over", "tied", "ci_note"])
    for t in tables:
        for label, cells in t.rows.items():
            for m in t.metrics:
                c = cells.get(m)
                if c is None:
                    continue
                value = "" if c.value is None else ("inf" if math.isinf(c.value) else repr(c.value))
                writer.writerow([t.task, t.dataset, t.profile, t.condition, label, m, value, int(t.higher_is_better[m]),
                                 c.rank or "", c.seeds, c.reason or "", _number(c.std), _number(c.ci_low),
                                 _number(c.ci_high), c.ci_over, int(c.tied), c.ci_note if c.value is not None else ""])
    return buf.getvalue()


def _number(value: float | None) -> str:
    """A csv number: exact (repr), "inf", or empty."""
    return "" if value is None else ("inf" if math.isinf(value) else repr(value))


def _latex(tables: list[Table]) -> str:
    notes = _footnotes(tables)
    out = []
    for table in tables:
        infos = [_metric_info(m) for m in table.metrics]
        out += ["\\begin{table}[t]", "\\centering", f"\\caption{{{_tex_escape(table.title)}}}",
                "\\begin{tabular}{l" + "c" * len(table.metrics) + "}", "\\toprule",
                "Method & " + " & ".join(_tex_escape(n) + " " + (UP_TEX if table.higher_is_better[m] else DOWN_TEX)
                                         for m, (n, _) in zip(table.metrics, infos)) + " \\\\", "\\midrule"]
        for label, cells in table.rows.items():
            name = _tex_escape(label) + (DAGGER_TEX if label in table.ground_truth_rows else "")
            out.append(name + " & " + " & ".join(_cell_text(cells.get(m), d, notes, "tex", table.show_ci) for m, (_, d) in zip(table.metrics, infos)) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    for reason, mark in notes.items():
        out.append(f"% {mark}: unavailable: {reason}")
    return "\n".join(out) + "\n"


def _tex_escape(text: str) -> str:
    for a, b in (("\\", "\\textbackslash{}"), ("_", "\\_"), ("&", "\\&"), ("%", "\\%"), ("#", "\\#"), ("—", "---")):
        text = text.replace(a, b)
    return text


def _html(tables: list[Table]) -> str:
    from talkbench.report.leaderboard_html import page  # the page's own module: styles, charts, run links

    return page(tables)


def tables_for(rows: list[ResultRow], all_runs: bool = False) -> list[Table]:
    """Tables with each task's metric and condition order, on one dataset version each (`report.versions`): the
    latest, with a note on what older content is left out; with `all_runs`, one row per execution (labelled with
    seed and execution) and one table per dataset version."""
    from talkbench.harness.tasks import TASKS
    from talkbench.report.versions import latest_version, split_versions

    tasks = {t: TASKS.get(t) for t in TASKS.names()}
    orders = ({t: v.metrics for t, v in tasks.items()}, {t: v.conditions for t, v in tasks.items()})
    if all_runs:
        return build_tables(split_versions(rows), *orders, label_of=lambda r: f"{r.label} s{r.seed} @ {r.execution}")
    kept, _, notes = latest_version(rows)
    tables = build_tables(kept, *orders)
    for table in tables:
        note = notes.get((table.task, table.dataset, table.profile))
        if note:
            table.notes.append(note)
    return tables


def side_by_side(tables: list[Table], tasks: tuple[str, ...] = ("lipsync",)) -> list[Table]:
    """One table per (task, dataset, profile) of `tasks` with every condition's metrics side by side
    ("AUE (original) … AUE (corrupted)", WildTalker Table 2's layout); other tables are kept as they are."""
    out: list[Table] = []
    merged: dict[tuple[str, str, str], Table] = {}
    for table in tables:
        if table.task not in tasks:
            out.append(table)
            continue
        key = (table.task, table.dataset, table.profile)
        if key not in merged:
            merged[key] = Table(table.task, table.dataset, table.profile, "all", [], {})
            out.append(merged[key])
        wide = merged[key]
        for m in table.metrics:
            column = f"{table.condition}{CONDITION_SEP}{m}"
            wide.metrics.append(column)
            wide.higher_is_better[column] = table.higher_is_better[m]
            wide.variants[column] = table.variants.get(m, set())
        for label, cells in table.rows.items():
            wide.rows.setdefault(label, {}).update({f"{table.condition}{CONDITION_SEP}{m}": c for m, c in cells.items()})
        wide.ground_truth_rows |= table.ground_truth_rows
        wide.notes += [n for n in table.notes if n not in wide.notes]
    for wide in merged.values():
        _rank(wide)
    return out


def ablation_tables(tables: list[Table], method: str, load: ItemLoader | None = None) -> list[Table]:
    """Per table holding `method`, its config variants ("method [key=value]") beside the full method, with Δ columns
    and their intervals (report.deltas; per-frame values come from `load`, default the run directories the results
    index names, opened only when a Δ needs them)."""
    out = []
    prefix = f"{method} ["
    loaders: list[ItemLoader] = [load] if load is not None else []

    def loader() -> ItemLoader:
        if not loaders:
            from talkbench.report.deltas import index_loader

            loaders.append(index_loader())
        return loaders[0]

    for table in tables:
        if method not in table.rows:
            continue
        labels = [method] + sorted(label for label in table.rows if label.startswith(prefix))
        if len(labels) == 1:
            continue
        metrics = [m for m in table.metrics if any(table.rows[label].get(m) is not None for label in labels)]
        columns = [c for m in metrics for c in (m, m + DELTA)]
        ablation = Table(table.task, table.dataset, table.profile, table.condition, columns,
                         {**{m: table.higher_is_better[m] for m in metrics},
                          **{m + DELTA: table.higher_is_better[m] for m in metrics}},
                         variants={m: table.variants.get(m, set()) for m in metrics}, notes=list(table.notes))
        full = table.rows[method]
        for label in labels:
            cells = dict(table.rows[label])
            for m in metrics:
                base, here = full.get(m), cells.get(m)
                if label != method and base is not None and here is not None and base.value is not None and here.value is not None:
                    cells[m + DELTA] = delta_cell(base, here, table.condition, m, loader)
            ablation.rows[label] = {c: cells[c] for c in columns if c in cells}
        _rank(ablation)
        out.append(ablation)
    return out


def render_claims(tables: list[Table], fmt: str = "md", methods: set[str] | None = None,
                  measured_only: bool = False) -> str:
    """Measured values beside the papers' claimed ones; kept here for callers, see `report.claims.render_claims`."""
    from talkbench.report.claims import render_claims as render_claim_tables

    return render_claim_tables(tables, fmt, methods, measured_only)
