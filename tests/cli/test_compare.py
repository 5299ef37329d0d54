"""`bench compare A B` (cli/compare.py) end to end on stored runs with constructed per-frame values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from talkbench.cli.main import main
from talkbench.harness.store import Store
from tests.kit.stored_runs import store_run

RUN = "reconstruct-synthetic-portrait-{}-smoke-s{}"


@pytest.fixture
def stored(bench_home: Path) -> dict[str, np.ndarray]:
    """static and retrieval (3 seeds each; retrieval +0.5 dB PSNR per frame, same LMD) and twin (= static, seed 0)."""
    rng = np.random.default_rng(0)
    base = rng.normal(26.0, 3.0, 60)
    lmd = np.abs(rng.normal(1.0, 0.3, 60))
    store, values = Store(), {}
    for seed in range(3):
        noise = rng.normal(0.0, 0.3, 60)
        values[f"static{seed}"], values[f"retrieval{seed}"] = base + noise, base + noise + 0.5 + rng.normal(0, 0.2, 60)
        store_run(store, bench_home / "runs", "static", {"psnr": values[f"static{seed}"], "lmd": lmd}, seed=seed,
                  whole={"lse_c": 3.0})
        store_run(store, bench_home / "runs", "retrieval", {"psnr": values[f"retrieval{seed}"], "lmd": lmd}, seed=seed,
                  whole={"lse_c": 3.4})
    store_run(store, bench_home / "runs", "twin", {"psnr": values["static0"], "lmd": lmd})
    return values


def compare_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["compare", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_known_shift_over_frames_and_seeds(stored: dict[str, np.ndarray], capsys: pytest.CaptureFixture[str]) -> None:
    out = compare_json(capsys, "static", "retrieval")
    assert out["a"]["seeds"] == out["b"]["seeds"] == [0, 1, 2]
    psnr = next(m for m in out["metrics"] if m["metric"] == "psnr")
    frames, seeds = psnr["tests"]
    assert frames["over"] == "frames" and frames["n"] == 60 and frames["low"] < 0.5 < frames["high"] and frames["low"] > 0
    assert frames["p_bootstrap"] < 0.05 and frames["p_wilcoxon"] < 0.05 and psnr["better"] == "B"
    # the frame test runs on the seed-averaged frames: Wilcoxon is scipy's on those
    a = np.mean([stored[f"static{s}"] for s in range(3)], axis=0)
    b = np.mean([stored[f"retrieval{s}"] for s in range(3)], axis=0)
    assert frames["p_wilcoxon"] == pytest.approx(stats.wilcoxon(b - a).pvalue)
    assert psnr["delta"] == pytest.approx(np.mean(b - a))
    assert seeds["over"] == "seeds" and seeds["method"] == "paired t over seeds" and seeds["n"] == 3
    lmd = next(m for m in out["metrics"] if m["metric"] == "lmd")
    assert lmd["delta"] == 0.0 and lmd["tests"][0]["p_bootstrap"] == 1.0 and lmd["better"] is None
    lse = next(m for m in out["metrics"] if m["metric"] == "lse_c")
    assert "not a mean over frames" in lse["tests"][0]["reason"] and lse["tests"][1]["over"] == "seeds"


def test_run_ids_and_identical_runs(stored: dict[str, np.ndarray], capsys: pytest.CaptureFixture[str]) -> None:
    out = compare_json(capsys, RUN.format("static", 0), RUN.format("twin", 0), "--metric", "psnr")
    (psnr,) = out["metrics"]
    (frames,) = psnr["tests"]  # one seed each: no test over seeds
    assert psnr["delta"] == 0.0 and frames["p_bootstrap"] == 1.0 and frames["p_wilcoxon"] == 1.0
    assert frames["low"] <= 0.0 <= frames["high"] and psnr["better"] is None


def test_the_text_table_says_direction_and_winner(stored: dict[str, np.ndarray], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "static", "retrieval", "--metric", "psnr"]) == 0
    out = capsys.readouterr().out
    assert "Δ = B − A" in out and "psnr ↑" in out and "60 frames" in out and "3 seeds" in out
    assert out.splitlines()[2].rstrip().endswith("B")


@pytest.mark.parametrize(("argv", "message"), [
    (["static", "nobody"], "nobody: no complete run with that run id or method label"),
    (["static", "retrieval", "--metric", "lse_c"], "lse_c's value is"),
    (["static", "retrieval", "--metric", "ssim"], "--metric ssim: not stored for static"),
    (["static", "retrieval", "--dataset", "elsewhere"], "static: no complete run"),
])
def test_errors_are_one_line(stored: dict[str, np.ndarray], capsys: pytest.CaptureFixture[str], argv: list[str],
                             message: str) -> None:
    assert main(["compare", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_different_frame_counts_and_dataset_versions_are_refused(bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    store_run(store, bench_home / "runs", "a", {"psnr": np.arange(10.0)})
    store_run(store, bench_home / "runs", "b", {"psnr": np.arange(12.0)})
    store_run(store, bench_home / "runs", "c", {"psnr": np.arange(10.0)}, dataset_sha="sha-2")
    assert main(["compare", "a", "b"]) == 1
    assert "a has 10 test frames of psnr, b 12: they were not scored on the same items" in capsys.readouterr().err
    assert main(["compare", "a", "c"]) == 1
    assert "different versions of synthetic-portrait (sha-1, sha-2)" in capsys.readouterr().err


def test_a_damaged_per_frame_file_is_named(bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    store_run(store, bench_home / "runs", "a", {"psnr": np.arange(10.0)})
    store_run(store, bench_home / "runs", "b", {"psnr": np.arange(10.0) + 1})
    path = bench_home / "runs" / RUN.format("b", 0) / "e1" / "per_frame.csv"
    path.write_text(path.read_text().replace("10.0", "11.0"))
    assert main(["compare", "a", "b", "--metric", "psnr"]) == 1
    assert f"{path} does not match its sha256" in capsys.readouterr().err
