"""Paper claims as data (`reports/claims/*.json`), their comparison with measured values, and the tables that show
both (`render_claims`)."""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from talkbench.core.errors import BenchError
from talkbench.infra.resources import resource_files

if TYPE_CHECKING:
    from talkbench.report.leaderboard import Table


@dataclass
class Claim:
    """One published table of one paper."""

    paper: str
    table: str
    task: str
    dataset: str
    condition: str
    metrics: list[str]
    rows: list[dict[str, Any]]
    source: str
    path: Path
    measured_on: list[str] | None = None
    """talkbench datasets whose tables are shown beside this claim (None: every dataset of the task)."""


def load_claims(task: str | None = None) -> list[Claim]:
    """All claim files (optionally of one task), each validated."""
    out = []
    for path in resource_files("claims", ".json"):
        try:
            data = json.loads(path.read_text())
            claim = Claim(data["paper"], data["table"], data["task"], data["dataset"], data.get("condition", "all"),
                          list(data["metrics"]), list(data["rows"]), data.get("source", ""), path,
                          list(data["measured_on"]) if "measured_on" in data else None)
        except (json.JSONDecodeError, KeyError) as exc:
            raise BenchError(f"{path}: invalid claims file ({exc})") from exc
        if task is None or claim.task == task:
            out.append(claim)
    return out


@dataclass
class ClaimComparison:
    """A claimed row beside the measured values of the method it maps to (if any)."""

    claim: Claim
    label: str
    method: str | None
    claimed: dict[str, float]
    measured: dict[str, float | None]


def compare_claims(claim: Claim, measured: dict[str, dict[str, float | None]],
                   metrics: list[str] | None = None) -> list[ClaimComparison]:
    """Pair each claimed row with `measured[method][metric]` of the talkbench method it maps to (over `metrics`,
    default the claim's)."""
    out = []
    for row in claim.rows:
        method = row.get("maps_to")
        values = measured.get(method, {}) if method else {}
        out.append(ClaimComparison(claim, row["method"], method, {k: float(v) for k, v in row["values"].items()},
                                   {m: values.get(m) for m in (claim.metrics if metrics is None else metrics)}))
    return out


def _method_of(label: str | None) -> str | None:
    """The method of a table row label ("synctalk [portrait=on]" -> "synctalk")."""
    return label.split(" [", 1)[0] if label else None


def render_claims(tables: list[Table], fmt: str = "md", methods: set[str] | None = None,
                  measured_only: bool = False) -> str:
    """Measured values beside the papers' claimed ones (with the difference), for tasks that have claims.

    `methods`: only the claims tables with a row that maps to one of these methods (`bench run` shows the tables of
    what it ran); `measured_only`: only the metric columns with a measured value in the table (the papers' FID, NIQE, ... that
    talkbench does not measure, or a metric unavailable here, would be columns of dashes)."""
    from talkbench.report.leaderboard import _fmt, _metric_info, _tex_escape

    blocks = []
    for claim in load_claims():
        if methods is not None and not any(_method_of(r.get("maps_to")) in methods for r in claim.rows):
            continue
        for table in tables:
            if table.task != claim.task or table.condition != claim.condition:
                continue
            if claim.measured_on is not None and table.dataset not in claim.measured_on:
                continue
            # Measured = some row of the table has a value (a metric unavailable for every row, e.g. LSE without the
            # SyncNet weights, would be a column of dashes too).
            metrics = [m for m in claim.metrics if any(cells.get(m) is not None and cells[m].value is not None
                                                       for cells in table.rows.values())] if measured_only \
                else list(claim.metrics)
            if not metrics:
                continue
            measured = {label: {m: cells[m].value if m in cells else None for m in metrics}
                        for label, cells in table.rows.items()}
            infos = [_metric_info(m) for m in metrics]
            header = ["Method (as published)", "talkbench method"]
            for name, _ in infos:
                header += [f"{name} measured", f"{name} claimed", f"{name} Δ"]
            body = []
            for comp in compare_claims(claim, measured, metrics):
                row = [comp.label, comp.method or "–"]
                for m, (_, dec) in zip(metrics, infos):
                    got, want = comp.measured.get(m), comp.claimed.get(m)
                    row += ["–" if got is None else _fmt(got, dec), "–" if want is None else _fmt(want, dec),
                            "–" if got is None or want is None else f"{got - want:+.{dec}f}"]
                body.append(row)
            same = table.dataset == claim.dataset
            caption = (f"Measured ({table.dataset}, {table.profile}) beside claimed ({claim.paper} {claim.table}, {claim.dataset})"
                       + ("" if same else " — different data: a plausibility check, not a replication"))
            blocks.append((caption, header, body))
    if not blocks:
        return ""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        for caption, header, body in blocks:
            writer.writerow([caption])
            writer.writerow(header)
            writer.writerows(body)
        return buf.getvalue()
    out = []
    for caption, header, body in blocks:
        if fmt == "md":
            out += [f"#### {caption}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            out += ["| " + " | ".join(r) + " |" for r in body] + [""]
        elif fmt == "tex":
            out += ["\\begin{table}[t]", "\\centering", f"\\caption{{{_tex_escape(caption)}}}",
                    "\\begin{tabular}{ll" + "c" * (len(header) - 2) + "}", "\\toprule",
                    " & ".join(_tex_escape(h) for h in header) + " \\\\", "\\midrule"]
            out += [" & ".join(_tex_escape(c) for c in r) + " \\\\" for r in body]
            out += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
        else:
            out.append(f"<h4>{html.escape(caption)}</h4><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body]
            out.append("</table>")
    return "\n".join(out) + "\n"

