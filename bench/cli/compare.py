"""`bench compare A B`: is B better than A? Paired tests per metric on the same test frames (or utterances), and over
seeds when both have several (talkbench.report.comparison). A and B are run ids or method labels."""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING

from talkbench.cli.help import add_command
from talkbench.core.errors import BenchError

if TYPE_CHECKING:
    from talkbench.harness.store import ResultRow, Store
    from talkbench.report.comparison import MetricComparison

CONTEXT = ("task", "dataset", "profile")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench compare`."""
    p = add_command(sub, "compare", help="paired test of two runs or methods on the same test frames: Δ = B − A per "
                    "metric with its 95 %% CI and p-values",
                    description="Is B better than A? Per metric: Δ = B − A with a paired-bootstrap 95 %% CI, bootstrap and "
                    "Wilcoxon p-values over the same test frames (utterances for enhance), and over seeds (paired t, "
                    "Wilcoxon) when both sides have several. A and B are run ids or method labels.",
                    examples=["bench compare er-nerf synctalk --dataset synthetic-portrait",
                              "bench compare static retrieval --dataset synthetic-portrait --metric psnr --json",
                              "bench compare wildtalker 'wildtalker [masked_attention=false]' --dataset synthetic-portrait"])
    p.add_argument("a", metavar="A", help="a run id (as `bench leaderboard --all-runs` shows them) or a method label: "
                   "er-nerf, or 'er-nerf [key=value]' for a --set variant (every seed of it is used)")
    p.add_argument("b", metavar="B", help="the other run id or method label; Δ is B − A")
    p.add_argument("--task", help="task of the runs (needed when a method has results on several)")
    p.add_argument("--dataset", help="dataset card of the runs (needed when a method has results on several)")
    p.add_argument("--profile", help="profile of the runs (needed when a method has results on several)")
    p.add_argument("--condition", help="driving condition / SNR condition (default: original, or all)")
    p.add_argument("--metric", action="append", help="compare only these metrics (an error when one has no per-frame values)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """Resolve A and B, compare them metric by metric, print a table (or JSON)."""
    from talkbench.harness.item_values import item_values
    from talkbench.harness.store import Store
    from talkbench.report.comparison import compare, side

    store = Store()
    rows_a, rows_b = resolve_pair(store, args)
    first = rows_a[0]
    _check_same_data(args.a, rows_a, args.b, rows_b)
    condition = args.condition or _default_condition(rows_a, rows_b)
    a, b = side(args.a, rows_a, condition), side(args.b, rows_b, condition)
    metrics = args.metric or _metric_order(first.task, set(a.rows) & set(b.rows))
    for metric in args.metric or []:
        if metric not in a.rows or metric not in b.rows:
            raise BenchError(f"--metric {metric}: not stored for {args.a if metric not in a.rows else args.b} ({condition})")

    def read(row: ResultRow):  # type: ignore[no-untyped-def]
        run_dir = store.run_dir(row.run_id, row.execution)
        if run_dir is None:
            raise BenchError(f"run {row.run_id} ({row.execution}) has no run directory in the index {store.path}")
        return item_values(run_dir, row.condition, row.metric)

    results = compare(a, b, metrics, read, strict=bool(args.metric))
    context = {k: getattr(first, k) for k in CONTEXT}
    if args.json:
        print(json.dumps({**context, "condition": condition, "delta": "B - A",
                          "a": {"name": args.a, "label": a.label, "seeds": a.seeds},
                          "b": {"name": args.b, "label": b.label, "seeds": b.seeds},
                          "metrics": [r.to_json() for r in results]}, indent=2))
        return 0
    print(f"A = {args.a} ({len(a.seeds)} seed{'s' * (len(a.seeds) != 1)}), B = {args.b} ({len(b.seeds)} "
          f"seed{'s' * (len(b.seeds) != 1)}): {context['task']} on {context['dataset']} ({context['profile']}), "
          f"condition {condition}; Δ = B − A")
    print(render_text(results))
    return 0


def resolve_pair(store: Store, args: argparse.Namespace) -> tuple[list[ResultRow], list[ResultRow]]:
    """The rows of A and B in one (task, dataset, profile): a run id fixes it, filters or the other side narrow it."""
    rows_a, rows_b = _rows(store, args.a, args), _rows(store, args.b, args)
    contexts = {_context(r) for r in rows_a} & {_context(r) for r in rows_b}
    if not contexts:
        raise BenchError(f"{args.a} and {args.b} share no task, dataset and profile (A has "
                         f"{_list({_context(r) for r in rows_a})}; B has {_list({_context(r) for r in rows_b})})")
    if len(contexts) > 1:
        raise BenchError(f"{args.a} and {args.b} both have results in {_list(contexts)}: pick one with "
                         "--task / --dataset / --profile")
    (where,) = contexts
    return [r for r in rows_a if _context(r) == where], [r for r in rows_b if _context(r) == where]


def _rows(store: Store, name: str, args: argparse.Namespace) -> list[ResultRow]:
    """A run id's latest execution, else every run whose label is `name`, under the filters."""
    rows = store.results(task=args.task, profile=args.profile, dataset=args.dataset, run_id=name)
    if not rows:
        rows = [r for r in store.results(task=args.task, profile=args.profile, dataset=args.dataset) if r.label == name]
    if not rows:
        filters = ", ".join(f"--{k} {getattr(args, k)}" for k in CONTEXT if getattr(args, k)) or "no filters"
        raise BenchError(f"{name}: no complete run with that run id or method label in the results index ({filters}); "
                         "bench leaderboard --all-runs lists them")
    return rows


def _context(row: ResultRow) -> tuple[str, str, str]:
    return row.task, row.dataset, row.profile


def _list(contexts: set[tuple[str, str, str]]) -> str:
    return ", ".join(f"{t} on {d} ({p})" for t, d, p in sorted(contexts))


def _check_same_data(name_a: str, rows_a: list[ResultRow], name_b: str, rows_b: list[ResultRow]) -> None:
    """Both sides scored on one version of the dataset (else their frames are not the same frames)."""
    shas = {r.dataset_sha for r in rows_a + rows_b if r.dataset_sha}
    if len(shas) > 1:
        raise BenchError(f"{name_a} and {name_b} were scored on different versions of {rows_a[0].dataset} "
                         f"({', '.join(sorted(shas))}): rerun the older one")


def _default_condition(rows_a: list[ResultRow], rows_b: list[ResultRow]) -> str:
    shared = {r.condition for r in rows_a} & {r.condition for r in rows_b}
    for preferred in ("original", "all"):
        if preferred in shared:
            return preferred
    if not shared:
        raise BenchError("A and B share no condition")
    return sorted(shared)[0]


def _metric_order(task: str, metrics: set[str]) -> list[str]:
    from talkbench.harness.tasks import TASKS

    try:
        preferred = [m for m in TASKS.get(task).metrics if m in metrics]
    except BenchError:  # a task plugin no longer installed
        preferred = []
    return preferred + sorted(metrics - set(preferred))


def render_text(results: list[MetricComparison]) -> str:
    """A plain table: metric, A, B, Δ, 95 % CI, p-values, n and which side is better."""
    head = ["metric", "A", "B", "Δ (B−A)", "95 % CI", "p boot", "p Wilcoxon", "p t", "n", "better"]
    lines = []
    for r in results:
        name = f"{r.metric} {'↑' if r.higher_is_better else '↓'}"
        if r.reason:
            lines.append([name, "", "", "", f"not compared: {r.reason}"])
            continue
        for i, t in enumerate(r.tests):
            ci = t.interval
            cells = [name, _num(r.a), _num(r.b), _num(r.delta, sign=True)] if i == 0 else ["", "", "", ""]
            if not ci.available:
                lines.append(cells + [f"over {t.over}: {ci.reason}"])
                continue
            lines.append(cells + [f"[{_num(ci.low, sign=True)}, {_num(ci.high, sign=True)}]", _p(t.p_bootstrap),
                                  _p(t.p_wilcoxon), _p(t.p_t), f"{ci.n} {t.over}",
                                  (r.better or "no clear difference") if i == 0 else ""])
    spans = [row for row in lines if len(row) == 5]  # a reason spanning the columns after Δ
    widths = [max(len(row[i]) for row in [head] + lines if i < len(row) and (row not in spans or i < 4))
              for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    for row in lines:
        if row in spans:
            out.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4])
        else:
            out.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(out)


def _num(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:+.4g}" if sign else f"{value:.4g}"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"
