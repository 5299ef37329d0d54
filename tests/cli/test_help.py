"""How `bench` presents itself (cli/help.py): every (sub)command has a description, an examples epilog and help on
every flag; defaults are shown; `--version`."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from talkbench.cli.help import HelpFormatter, version_text
from talkbench.cli.main import build_parser, main


def commands(parser: argparse.ArgumentParser, path: str = "bench") -> list[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the tree under `parser`, with its command line ("bench data prepare")."""
    out = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                out += commands(child, f"{path} {name}")
    return out


def test_the_walk_sees_every_command() -> None:
    names = {path for path, _ in commands(build_parser())}
    assert {"bench", "bench list", "bench run", "bench score", "bench leaderboard", "bench check", "bench data",
            "bench data prepare", "bench denoise", "bench weights", "bench store"} <= names


@pytest.mark.parametrize("path,parser", commands(build_parser()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_has_a_description_examples_and_help_on_every_flag(path: str, parser: argparse.ArgumentParser) -> None:
    assert parser.description and len(parser.description) > 30, f"{path}: no description"
    assert parser.formatter_class is HelpFormatter, f"{path}: defaults are not shown"
    epilog = parser.epilog or ""
    examples = [line.strip() for line in epilog.splitlines()[1:]]
    assert epilog.startswith("examples:") and 2 <= len(examples) <= 4, f"{path}: needs 2-4 examples, has {epilog!r}"
    for example in examples:
        assert example.startswith(path if path != "bench" else "bench "), f"{path}: example {example!r} is of another command"
        assert build_parser().parse_args(shlex.split(example)[1:]).command  # every example parses
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help is not argparse.SUPPRESS, f"{path}: {name} has no help"
        shown = parser._get_formatter()._format_args(action, action.dest.upper()) if action.nargs != 0 else ""
        assert "METRIC_" not in shown and "_" not in (action.metavar or ""), f"{path}: {name} shows {shown!r}"


def test_defaults_are_shown_but_not_none(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 240)" in text and "(default: only-missing)" in text and "(default: auto)" in text
    assert "default: None" not in text and "default: False" not in text and "default: []" not in text


def test_device_is_auto_everywhere() -> None:
    for path, parser in commands(build_parser()):
        for action in parser._actions:
            if "--device" in action.option_strings:
                assert action.default == "auto", f"{path} --device defaults to {action.default!r}"
                assert "CUDA when present" in action.help


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    out = capsys.readouterr().out.strip()
    assert exc.value.code == 0 and out == version_text()
    assert re.fullmatch(rf"talkbench {re.escape(version('talkbench'))}( \(git [0-9a-f]{{12}}(, with uncommitted changes)?\))?", out), out


def test_version_without_git(monkeypatch: pytest.MonkeyPatch) -> None:
    import talkbench.infra.provenance as provenance

    monkeypatch.setattr(provenance, "git_state", lambda: {"git_sha": None, "git_dirty": None})
    assert "git" not in version_text()
