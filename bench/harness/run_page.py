"""report.html of a run directory: one static page (inline CSS, no script, no network) with the metrics and their
intervals, the rendered video with its audio, the labelled reference / prediction / error strip, per-item metric
plots, training curves and the provenance. Built from the directory's files only, so any stored execution can
have one made again (`write_run_page`); pictures are PNG files beside the page, linked by relative paths."""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.harness.results_json import (ITEM_COLUMNS, condition_items, conditions_of, item_table, read_json, stderr,
                                            stored_ci)

PAGE = "report.html"
PER_ITEM_PNG = {"frame": "per_frame.png", "utterance": "per_utterance.png"}
URL = re.compile(r"https?://[^\s<>\"')\]]+")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1200px;margin:0 auto;padding:24px 32px;background:#fff;min-height:100vh}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub{color:#59636e;margin:0 0 12px}.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;
background:#dafbe1;color:#1a7f37;margin-left:6px}.badge.failed{background:#ffebe9;color:#cf222e}
table{border-collapse:collapse;margin:6px 0 10px}th,td{padding:4px 10px;border-bottom:1px solid #d8dee4;text-align:right}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}td.l{white-space:nowrap}td.l,th.l{text-align:left}
.na{color:#9a6700;font-size:12px}ol.na{padding-left:20px;max-width:1000px}
figure{margin:8px 0 16px}figure img{max-width:100%;border:1px solid #d8dee4}figcaption{color:#59636e;font-size:12px}
video{width:384px;max-width:100%;border:1px solid #d8dee4;background:#000}details{margin:6px 0}summary{cursor:pointer;font-weight:600}
pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px;max-height:480px}code{font-size:12px}
a{color:#0969da}.files a{margin-right:12px}
"""


def linkify(text: str) -> str:
    """`text` escaped for HTML with every http(s) URL made an `<a href>` link (install hints name their sources)."""
    out, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:")
        out += [html.escape(text[last:match.start()]), f'<a href="{html.escape(url)}">{html.escape(url)}</a>']
        last = match.start() + len(url)
    return "".join(out) + html.escape(text[last:])


def _number(value: Any, decimals: int = 4) -> str:
    if value is None:
        return "–"
    number = float(value)  # metrics.json writes infinity as "inf"
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    return f"{number:.{decimals}f}"


def _label(metric: str) -> str:
    """The metric's table header (its plugin's `label`), or the name itself outside the registry."""
    from talkbench.core.errors import BenchError
    from talkbench.core.registries import METRICS

    try:
        return str(METRICS.get(metric).display_name or metric.upper())
    except BenchError:
        return metric


def _metrics_section(run_dir: Path, metrics: dict[str, Any]) -> list[str]:
    """One row per metric; one column group per condition (value, 95 % CI, ± stderr, n), the reason when unavailable."""
    kind, table = item_table(run_dir)
    conditions = conditions_of(metrics)
    several = "conditions" in metrics and kind == "frame"
    names = list(dict.fromkeys(n for entries in conditions.values() for n in entries))
    wide = len(conditions) > 1  # one compact column per condition: value ± stderr, the CI below
    out = ["<h2>Metrics</h2>", "<p class=sub>95 % CI: the interval stored with the value (bootstrap over items, when "
           "made); ± stderr: standard error of the mean over the per-item values; n: items.</p><table>"]
    if wide:
        counts = {c: max((int(e.get("count") or 0) for e in entries.values()), default=0) for c, entries in conditions.items()}
        out.append("<tr><th class=l>metric</th>" + "".join(f"<th>{html.escape(c)} (n={counts[c]})</th>" for c in conditions) + "</tr>")
    else:
        out.append("<tr><th class=l>metric</th><th>value</th><th>95 % CI</th><th>± stderr</th><th>n</th></tr>")
    notes: dict[str, str] = {}
    for name in names:
        row = ""
        for condition, entries in conditions.items():
            entry = entries.get(name) or {}
            value = entry.get("value")
            if value is None:
                reason = entry.get("unavailable_reason") or "not scored"
                mark = notes.setdefault(reason, str(len(notes) + 1))
                row += f"<td>n/a<sup>{mark}</sup></td>" + ("" if wide else "<td></td><td></td><td></td>")
                continue
            ci = stored_ci(entry)
            why = entry["ci"].get("reason") if isinstance(entry.get("ci"), dict) else None
            shown_ci = (f"[{_number(ci['low'])}, {_number(ci['high'])}]" if ci
                        else f"<span title='{html.escape(why)}'>–</span>" if why else "–")
            err = stderr(condition_items(table, kind, condition, name, several))
            if wide:
                row += (f"<td><b>{_number(value)}</b> <small>± {_number(err)}</small>"
                        + (f"<br><small>{shown_ci}</small>" if ci else "") + "</td>")
            else:
                row += (f"<td><b>{_number(value)}</b></td><td>{shown_ci}</td><td>{_number(err)}</td>"
                        f"<td>{entry.get('count') or ''}</td>")
        higher = next((e[name].get("higher_is_better") for e in conditions.values() if name in e), None)
        arrow = {True: " ↑", False: " ↓"}.get(higher, "")
        out.append(f"<tr><td class=l>{html.escape(_label(name))}{arrow} <code>{html.escape(name)}</code></td>{row}</tr>")
    out.append("</table>")
    if notes:
        out.append("<ol class=na>" + "".join(f"<li>unavailable: {linkify(r)}</li>" for r in notes) + "</ol>")
    return out


def _per_item_plot(run_dir: Path) -> str | None:
    """Draw per_frame.png / per_utterance.png from the per-item table; its file name, or None without one."""
    from talkbench.harness.figures import per_item_panels

    kind, table = item_table(run_dir)
    if table is None or len(table) == 0:
        return None
    scored = {c: table[c].to_numpy(np.float64) for c in table.columns if c not in ITEM_COLUMNS}
    scored = {c: v for c, v in scored.items() if not np.isnan(v).all()}  # a column of unavailable items draws nothing
    if not scored:
        return None
    name = PER_ITEM_PNG[kind]
    if kind == "frame":
        x = table["frame"].to_numpy() if "frame" in table.columns else np.arange(len(table))
        per_item_panels(scored, x, run_dir / name, "test frame")
    else:
        snr = table["snr_db"].to_numpy(np.float64) if "snr_db" in table.columns else None
        per_item_panels(scored, np.arange(len(table)), run_dir / name, "utterance", groups=snr, group_label="SNR (dB)")
    return name


def _figure(src: str, caption: str, alt: str) -> str:
    return f'<figure><img src="{html.escape(src)}" alt="{html.escape(alt)}"><figcaption>{caption}</figcaption></figure>'


def _media_section(run_dir: Path) -> list[str]:
    out: list[str] = []
    videos = sorted(run_dir.glob("render*.mp4"))
    if videos:
        out.append("<h2>Rendered video</h2><p class=sub>The render with its driving audio muxed in.</p>")
        for video in videos:
            label = video.stem.removeprefix("render").lstrip("-") or "original"
            out.append(f'<figure><video controls preload="metadata" src="{html.escape(video.name)}#t=0.1"></video>'
                       f"<figcaption>{html.escape(label)} — <a href=\"{html.escape(video.name)}\">{html.escape(video.name)}</a>"
                       "</figcaption></figure>")
    strips = sorted(run_dir.glob("frames*.png"))
    if strips:
        out.append("<h2>Reference, prediction, error</h2>")
        for strip in strips:
            label = strip.stem.removeprefix("frames").lstrip("-") or "original"
            out.append(_figure(strip.name, f"{html.escape(label)}: evenly spaced test frames; the error row is the mean "
                               "absolute RGB difference (colour bar).", f"frames {label}"))
    examples = sorted((run_dir / "examples").glob("*.wav")) if (run_dir / "examples").is_dir() else []
    if examples:
        out.append("<h2>Enhanced examples</h2><table>")
        out += [f'<tr><td class=l>{html.escape(w.stem)}</td><td><audio controls preload="none" '
                f'src="examples/{html.escape(w.name)}"></audio></td></tr>' for w in examples]
        out.append("</table>")
    if (run_dir / "spectrogram.png").exists():
        out.append(_figure("spectrogram.png", "Noisy / enhanced / clean spectrograms of one utterance.", "spectrograms"))
    return out


def _curves_section(run_dir: Path, run_id: str) -> list[str]:
    if not (run_dir / "curves.csv").exists():
        return []
    if not (run_dir / "curves.png").exists():
        from talkbench.harness.figures import plot_curves

        plot_curves(run_dir / "curves.csv", run_dir / "curves.png", title=run_id)
    return ["<h2>Training curves</h2>", _figure("curves.png", 'Loss and PSNR of the training batches per stage '
                                                 '(<a href="curves.csv">curves.csv</a>).', "training curves")]


def _details(title: str, data: dict[str, Any]) -> str:
    return f"<details><summary>{html.escape(title)}</summary><pre>{html.escape(json.dumps(data, indent=2, default=str))}</pre></details>"


def page_html(run_dir: Path) -> str:
    """The report page of an execution directory (and its per-item plot, drawn beside it)."""
    run = read_json(run_dir / "run.json")
    metrics = read_json(run_dir / "metrics.json")
    prov = read_json(run_dir / "provenance.json")
    config = read_json(run_dir / "config.json")
    run_id = str(run.get("run_id") or metrics.get("run_id") or run_dir.name)
    status = str(run.get("status") or "unknown")
    facts = " · ".join(f"{k} <b>{html.escape(str(run[k]))}</b>" for k in ("task", "method", "variant", "dataset", "profile", "seed")
                       if run.get(k) not in (None, ""))
    out = ["<!doctype html><html lang=en><head><meta charset=utf-8>", f"<title>{html.escape(run_id)}</title>",
           f"<style>{STYLE}</style></head><body><main>",
           f"<h1>{html.escape(run_id)}<span class='badge {html.escape(status)}'>{html.escape(status)}</span></h1>",
           f"<p class=sub>{facts}<br>execution {html.escape(str(run.get('execution', '')))} · finished "
           f"{html.escape(str(run.get('finished_iso') or '–'))} · git {html.escape(str(prov.get('git_sha') or '–')[:12])}"
           f"{' (dirty)' if prov.get('git_dirty') else ''}</p>"]
    if run.get("error"):
        out.append(f"<p class=na>error: {linkify(str(run['error']))}</p>")
    if metrics:
        out += _metrics_section(run_dir, metrics)
    out += _media_section(run_dir)
    plot = _per_item_plot(run_dir)
    if plot:
        what = "frame" if plot == PER_ITEM_PNG["frame"] else "utterance"
        out += [f"<h2>Per-{what} metrics</h2>",
                _figure(plot, f"Each metric per test {what} (dashed: the mean){'; colour: SNR' if what == 'utterance' else ''}.",
                        f"per-{what} metrics")]
    out += _curves_section(run_dir, run_id)
    if prov.get("preparation_quality"):
        from talkbench.prepare.quality import summary_lines

        out += ["<h2>Preparation quality</h2>",
                "<p class=sub>Measured on the prepared clip (real footage has no true pose): reprojection error, pose "
                "jitter, agreement between pose tracks, masks against face parsing.</p>",
                "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(prov["preparation_quality"])) + "</ul>"]
    timings = prov.get("timings_s") or {}
    out.append("<h2>Provenance</h2>")
    if timings:
        out.append("<table><tr>" + "".join(f"<th>{html.escape(k)} (s)</th>" for k in timings) + "</tr><tr>"
                   + "".join(f"<td>{float(v):.2f}</td>" for v in timings.values()) + "</tr></table>")
    out += [_details("Configuration (config.json)", config), _details("Provenance (provenance.json)", prov),
            _details("Run record (run.json)", run)]
    files = [p.name for p in sorted(run_dir.iterdir()) if p.is_file() and p.suffix in (".json", ".jsonl", ".csv", ".md", ".log")]
    out.append("<p class=files>Files: " + " ".join(f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in files) + "</p>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def write_run_page(run_dir: Path) -> Path:
    """Write report.html (and the per-item plot) into an execution directory."""
    from talkbench.infra.atomic import atomic_write_text

    text = page_html(run_dir)
    atomic_write_text(run_dir / PAGE, text)
    return run_dir / PAGE
