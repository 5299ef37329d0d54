"""`bench list methods|metrics|datasets|tasks|config METHOD`: what is registered, and what `--set` accepts."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from talkbench.cli.help import add_command
from talkbench.core.errors import BenchError

WHAT = ("methods", "metrics", "datasets", "tasks", "config")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench list`."""
    p = add_command(sub, "list", "list methods, metrics, datasets, tasks, or a method's config keys",
                    "List what is registered (methods, metrics, datasets, tasks), or every key `bench run --set "
                    "KEY=VALUE` accepts\nfor one method: its type, its default under each profile, the allowed values "
                    "and what it does.",
                    ["bench list methods", "bench list datasets", "bench list config er-nerf",
                     "bench list config mss"])
    p.add_argument("what", choices=WHAT, help="what to list; config needs a METHOD")
    p.add_argument("method", nargs="?", metavar="METHOD", help="the method whose config keys `list config` shows "
                   "(bench list methods names them)")
    p.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    """Print registered methods, metrics, datasets or tasks, or one method's config keys."""
    from talkbench.core.registries import METHODS, METRICS
    from talkbench.datasets.cards import cards
    from talkbench.harness.tasks import TASKS

    if args.what == "config":
        if not args.method:
            raise BenchError("bench list config needs a METHOD, e.g. bench list config er-nerf (bench list methods names them)")
        print(render_config(args.method))
        return 0
    if args.method:
        raise BenchError(f"bench list {args.what} takes no METHOD ({args.method!r}); did you mean bench list config {args.method}?")
    if args.what == "methods":
        for name in METHODS.names():
            cls = METHODS.get(name)
            serves = ",".join(t for t in TASKS.names() if TASKS.get(t).accepts(cls))
            doc = (cls.__doc__ or "").strip().splitlines()[0]
            print(f"{name:12s} tasks={serves:20s} [{cls().capabilities().summary()}] {doc}")
    elif args.what == "metrics":
        for name in METRICS.names():
            cls = METRICS.get(name)
            arrow = "↑" if cls.higher_is_better else "↓"
            print(f"{name:10s} {arrow} {cls.modality:6s} {cls.description or (cls.__doc__ or '').strip().splitlines()[0]}")
    elif args.what == "datasets":
        for name in cards().names():
            card = cards().get(name)
            print(f"{name:26s} {card.kind:9s} tasks={','.join(card.tasks):24s} {card.data.get('description', '')}")
    else:
        for name in TASKS.names():
            task = TASKS.get(name)
            print(f"{name:12s} metrics={','.join(task.metrics)}  {task.description}")
    return 0


def _shown(value: Any) -> str:
    """A default as it would be written after `--set KEY=` (tuples comma-separated, strings bare)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        return ",".join(_shown(v) for v in value)
    return '""' if value == "" else str(value)


def render_config(method: str) -> str:
    """The `--set` keys of `method` as an aligned table, each followed by its documentation line."""
    from talkbench.core.config_docs import describe_config
    from talkbench.core.registries import METHODS

    cls = METHODS.get(method)
    fields = describe_config(cls)
    if not fields:
        return f"{method} ({cls.Config.__name__}) has nothing to configure: bench run --set takes no key for it"
    profiles = list(fields[0].defaults)
    header = ["KEY", "TYPE", *(p.upper() for p in profiles), "ALLOWED"]
    rows = []
    for f in fields:
        paper = f.defaults["paper"]
        # Other profiles show only what they change, so the smoke/tiny overrides stand out.
        cells = [_shown(paper)] + ["=" if f.defaults[p] == paper else _shown(f.defaults[p]) for p in profiles[1:]]
        rule = f.allowed.describe().removeprefix("must be ") if f.allowed is not None else ""
        rows.append(([f.key, f.type, *cells, rule], f.doc))
    widths = [max(len(r[0][i]) for r in rows + [(header, "")]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    names = ", ".join(profiles[1:])
    out = [f"{method} ({cls.Config.__name__}): {len(fields)} keys for bench run --method {method} --set KEY=VALUE "
           f"(dotted keys are fields of nested groups)",
           "PAPER is the default (the paper's configuration)" + (f"; {names}: the --profile values, '=' where "
                                                                  "unchanged" if names else ""), "",
           line(header)]
    for cells, doc in rows:
        out.append(line(cells))
        if doc:
            out += textwrap.wrap(doc, 110, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(out)
