"""`bench weights status|install`: the pretrained files some methods and metrics use, sha256-checked."""

from __future__ import annotations

import argparse

from talkbench.cli import checks
from talkbench.cli.help import add_command
from talkbench.core.errors import BenchError


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench weights`."""
    p = add_command(sub, "weights", "pretrained files: status, install",
                    "Show which pretrained files are installed (status), or install one from a local path or URL "
                    "(install),\n"
                    "checked against its published or pinned sha256. Nothing is downloaded without --from.",
                    ["bench weights status", "bench weights install syncnet_v2 --from ~/Downloads/syncnet_v2.model",
                     "bench weights install bfm2009_3dmm --from DIR/3DMM_info.npy",
                     "bench weights install alexnet --from https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"])
    p.add_argument("action", choices=["status", "install"], help="status: list every file and its state; install: "
                   "copy or download NAME")
    p.add_argument("name", nargs="?", metavar="NAME", help="the file to install (bench weights status names them)")
    p.add_argument("--from", dest="source", metavar="PATH|URL", help="where install takes the file from")
    p.add_argument("--sha256", metavar="HEX", help="expected sha256 for files whose publisher gives none (else pinned "
                   "at install)")
    p.set_defaults(func=cmd_weights)


def cmd_weights(args: argparse.Namespace) -> int:
    """Show or install pretrained files."""
    from talkbench.infra import weights

    if args.action == "status":
        for name, entry in sorted(weights.ENTRIES.items()):
            state, detail = weights.status(name)
            print(f"{name:11s} {state:10s} {entry.filename:28s} {entry.used_by}")
            print(f"{'':11s} {detail}")
            if state != "installed":
                print(f"{'':11s} install: {entry.install_hint()}  [{entry.licence}]")
        return 0
    if not args.name or not args.source:
        raise BenchError("usage: bench weights install NAME --from PATH|URL [--sha256 HEX]")
    checks.check_sha256(args.sha256)
    path = weights.install(args.name, args.source, sha256=args.sha256)
    _, origin = weights.expected_sha256(args.name)
    print(f"installed {args.name} -> {path} (sha256 {weights.verified(args.name)[1][:12]}…, {origin})")
    return 0
