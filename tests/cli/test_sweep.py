"""Sweeps of `bench run`: grids from --set/--seed and sweep TOML files, expanded and resumed."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.cli.main import main
from talkbench.cli.sweep import expand_grid, load_sweep, parse_seeds, parse_set_grid, split_values
from talkbench.core.errors import BenchError
from talkbench.harness.store import Store


def test_grid_values_split_on_commas_outside_brackets() -> None:
    assert split_values("1e-3,1e-2") == ["1e-3", "1e-2"]
    assert split_values("[1,2],(3,4),'a,b'") == ["[1,2]", "(3,4)", "'a,b'"]
    assert parse_set_grid(["optim.lr=1e-3,1e-2", "smooth=2"]) == {"optim.lr": ["1e-3", "1e-2"], "smooth": ["2"]}
    assert expand_grid({"a": ["1", "2"], "b": ["x", "y"]}) == [
        {"a": "1", "b": "x"}, {"a": "1", "b": "y"}, {"a": "2", "b": "x"}, {"a": "2", "b": "y"}]
    assert expand_grid({}) == [{}]
    assert parse_seeds(["0,1,2", "5", "1"]) == [0, 1, 2, 5] and parse_seeds(None) == [0]


@pytest.mark.parametrize("item, message", [
    ("smooth", "expects KEY=VALUE"), ("=3", "expects KEY=VALUE"), ("smooth=1,", "empty grid value")])
def test_bad_set_items_are_named(item: str, message: str) -> None:
    with pytest.raises(BenchError, match=message):
        parse_set_grid([item])


def test_bad_seeds_are_named() -> None:
    with pytest.raises(BenchError, match="--seed 'x': a seed is an integer"):
        parse_seeds(["0,x"])
    with pytest.raises(BenchError, match="--seed -1: a seed is a non-negative integer"):
        parse_seeds(["-1"])


def test_a_sweep_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text('method = ["static", "retrieval"]\ndataset = "synthetic-portrait"\nseed = [0, 1]\n'
                    '[set]\n"smooth" = [1, 2]\nwindow_s = 0.25\nflag = true\n')
    assert load_sweep(str(path)) == {"method": ["static", "retrieval"], "dataset": ["synthetic-portrait"],
                                     "seed": ["0", "1"], "set": {"smooth": ["1", "2"], "window_s": ["0.25"], "flag": ["true"]}}
    path.write_text("methods = ['static']\n")
    with pytest.raises(BenchError, match=r"unknown keys \['methods'\]"):
        load_sweep(str(path))
    path.write_text("method = [\n")
    with pytest.raises(BenchError, match="sweep.toml is not valid TOML"):
        load_sweep(str(path))
    with pytest.raises(BenchError, match="is a directory"):
        load_sweep(str(tmp_path))
    with pytest.raises(BenchError, match="no such file"):
        load_sweep(str(tmp_path / "missing.toml"))


@pytest.mark.slow
def test_a_grid_sweep_runs_every_combination_and_a_rerun_runs_only_the_missing(tiny_cards: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    common = ["run", "--method", "retrieval", "--dataset", "synthetic-portrait", "--metric", "psnr", "--no-leaderboard",
              "--numerics", "native"]
    args = common + ["--set", "smooth=1,3", "--seed", "0,1"]
    assert main(common + ["--set", "smooth=1,3", "--seed", "0"]) == 0  # part of the sweep first
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr()
    runs = {r.run_id for r in Store().results()}
    assert len(runs) == 4 and "4 jobs on the local executor" in out.err
    assert out.out.count("[done]") == 2 and out.out.count("[skipped]") == 2  # the two from the first command
    assert main(args) == 0
    assert capsys.readouterr().out.count("[skipped]") == 4


def test_run_without_a_method_says_so(tiny_cards: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["run", "--dataset", "synthetic-portrait"]) == 1
    assert "needs --method and --dataset" in capsys.readouterr().err


def test_the_lipsync_task_defaults_to_the_lipsync_profile_and_others_to_smoke() -> None:
    import argparse

    from talkbench.cli.sweep import apply_sweep

    def resolved(**kw: object) -> str:
        args = argparse.Namespace(sweep=None, method=["static"], dataset=["synthetic-portrait"], metric=None, seed=None,
                                  set=[], task=None, profile=None)
        vars(args).update(kw)
        apply_sweep(args)
        return args.profile

    assert resolved(task="lipsync") == "lipsync"
    assert resolved() == "smoke" and resolved(task="enhance") == "smoke"
    assert resolved(task="lipsync", profile="smoke") == "smoke"
