"""How every `bench` (sub)command presents itself: one help formatter, a description and an examples epilog each,
and `bench --version`."""

from __future__ import annotations

import argparse
from typing import Any


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's and examples' line breaks and appends "(default: X)" to a flag's help when X says
    something: not for None, False or [] (a flag whose default depends on others says so in its own words)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        silent = default is None or default is False or default is argparse.SUPPRESS or default == []
        if "default" in text or silent or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def add_command(sub: argparse._SubParsersAction, name: str, help: str, description: str,
                examples: list[str], **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand with `help` (its line in the parent's list), a `description` and an examples epilog."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    return sub.add_parser(name, help=help, description=description, epilog=epilog, formatter_class=HelpFormatter,
                          **kwargs)


def version_text() -> str:
    """`talkbench X.Y.Z` and, in a git checkout, the commit (and whether it has uncommitted changes)."""
    from importlib import metadata

    from talkbench.infra.provenance import git_state

    try:
        version = metadata.version("talkbench")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        version = "unknown (not installed)"
    git = git_state()
    if not git.get("git_sha"):
        return f"talkbench {version}"
    dirty = ", with uncommitted changes" if git.get("git_dirty") else ""
    return f"talkbench {version} (git {git['git_sha'][:12]}{dirty})"


class VersionAction(argparse.Action):
    """`--version`: print `version_text()` and exit; the git lookup runs only when asked."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(version_text())
        parser.exit()
