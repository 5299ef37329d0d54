"""`bench data list` (every card and what it has on disk) and `bench data remove NAME` (a user's own dataset)."""

from __future__ import annotations

import argparse

from talkbench.cli.help import add_command


def add_parsers(dsub: argparse._SubParsersAction) -> None:
    """Register `bench data list` and `bench data remove` under `bench data`."""
    p = add_command(dsub, "list", "every dataset card: prepared or not, frames, duration, size on disk, source",
                    "List the shipped dataset cards and your own (bench data prepare --name): whether each is prepared "
                    "(or generated),\nits frames and duration, its size on disk under $BENCH_HOME/data (older versions "
                    "included) and its source.",
                    ["bench data list", "bench data list --user"])
    p.add_argument("--user", action="store_true", help="only your own datasets (those of bench data prepare --name)")
    p.set_defaults(func=cmd_list)
    r = add_command(dsub, "remove", "delete your own dataset: its card and prepared data (results are kept)",
                    "Delete a dataset you prepared with `bench data prepare --name NAME`: its card "
                    "($BENCH_HOME/cards/NAME.toml) and its\nprepared data, older versions included. Stored results stay "
                    "in the index and the run directories. Shipped cards are refused.",
                    ["bench data remove me", "bench data remove old-take"])
    r.add_argument("name", metavar="NAME", help="the dataset to delete (one of yours: bench data list marks them user)")
    r.set_defaults(func=cmd_remove)


def cmd_list(args: argparse.Namespace) -> int:
    """Print one line per card: origin, kind, state, frames, duration, size, source."""
    from talkbench.datasets.inventory import holdings

    rows = [("name", "origin", "kind", "state", "frames", "duration", "size", "source")]
    for h in holdings():
        if args.user and not h.card.user:
            continue
        state = h.state + (f", {h.versions} older version{'s' if h.versions != 1 else ''}" if h.versions else "")
        rows.append((h.card.name, "user" if h.card.user else "shipped", h.card.kind, state,
                     "-" if h.frames is None else str(h.frames), "-" if h.seconds is None else f"{h.seconds:.2f} s",
                     _size(h.bytes), h.source or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.rjust(width) if i in (4, 5, 6) else cell.ljust(width)
                        for i, (cell, width) in enumerate(zip(row, widths))) + "  " + row[-1])
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Delete a user card and its prepared data; say what went and that results stay."""
    from talkbench.datasets.user_cards import remove_user_card

    removed, size = remove_user_card(args.name)
    print(f"removed dataset {args.name}: {', '.join(str(p) for p in removed)} ({_size(size)} of data); its stored results "
          f"are kept (bench leaderboard still shows them)")
    return 0


def _size(count: int) -> str:
    """A byte count for people: kB, MB or GB."""
    if count < 1e6:
        return f"{count / 1e3:.0f} kB"
    return f"{count / 1e6:.1f} MB" if count < 1e9 else f"{count / 1e9:.2f} GB"
