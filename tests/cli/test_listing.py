"""`bench list` (cli/listing.py), above all `bench list config METHOD`: the keys `--set` accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from talkbench.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_config_er_nerf_shows_keys_types_defaults_per_profile_and_docs(capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.core.registries import METHODS

    code, out, _ = run(capsys, "list", "config", "er-nerf")
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("KEY"))
    assert header.split() == ["KEY", "TYPE", "PAPER", "SMOKE", "LIPSYNC", "CPU-LONG", "TINY", "ALLOWED"]
    row = next(i for i, line in enumerate(lines) if line.split()[:1] == ["optim.lr"])
    assert lines[row].split()[1:4] == ["float", "0.01", "="]  # smoke keeps the paper's learning rate
    assert lines[row + 1].startswith("    ") and "earning rate" in lines[row + 1]
    iters = next(line for line in lines if line.split()[:1] == ["stages.iters"]).split()
    paper, smoke = METHODS.get("er-nerf").Config(), METHODS.get("er-nerf").config_for("smoke")
    assert iters[1:4] == ["int", str(paper.stages.iters), str(smoke.stages.iters)] and paper.stages.iters != smoke.stages.iters
    keys = [line.split()[0] for line in lines[lines.index(header) + 1:] if line and not line.startswith(" ")]
    assert set(keys) == set(paper.leaves()), "every --set key is listed, and only those"


def test_list_config_of_a_method_without_profiles_or_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "config", "mss")
    assert code == 0 and re.search(r"^KEY\s+TYPE\s+PAPER\s+ALLOWED$", out, re.M) and re.search(r"^alpha\s+float\s+1.5\s+>= 0$", out, re.M)
    code, out, _ = run(capsys, "list", "config", "static")
    assert code == 0 and "has nothing to configure" in out


def test_list_config_refusals(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list", "config")
    assert code == 1 and "bench list config needs a METHOD" in err
    code, _, err = run(capsys, "list", "config", "er-nerff")
    assert code == 1 and "er-nerf" in err and "Traceback" not in err
    code, _, err = run(capsys, "list", "methods", "er-nerf")
    assert code == 1 and "did you mean bench list config er-nerf" in err


def test_list_methods_still_lists(capsys: pytest.CaptureFixture[str], bench_home: Path) -> None:
    code, out, _ = run(capsys, "list", "methods")
    assert code == 0 and re.search(r"^er-nerf\s+tasks=", out, re.M)
