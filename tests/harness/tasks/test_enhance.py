"""The enhance task (harness/tasks/enhance.py) end to end: speech datasets, denoisers, per-SNR rows, audio scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkbench.harness.driver import run_jobs
from talkbench.harness.store import Store
from tests.kit.jobs import enhance

pytestmark = pytest.mark.slow


def test_enhance_runs_per_snr_and_mss_improves_on_noisy(tiny_cards: Path) -> None:
    store = Store()
    noisy, mss = run_jobs([enhance("passthrough"), enhance("mss")], store)
    assert noisy.status == mss.status == "complete", (noisy.message, mss.message)
    rows = {(r.method, r.condition, r.metric): r for r in store.results(task="enhance")}
    assert {c for (_, c, _) in rows} == {"all", "snr=2.5", "snr=17.5"}
    for metric in ("pesq", "csig", "cbak", "covl", "stoi", "si_sdr"):
        assert rows[("passthrough", "all", metric)].value is not None, metric
        assert rows[("passthrough", "all", metric)].count == 4 and rows[("passthrough", "snr=2.5", metric)].count == 2
    # the noisier condition scores lower for the unprocessed speech
    assert rows[("passthrough", "snr=2.5", "pesq")].value < rows[("passthrough", "snr=17.5", "pesq")].value
    assert rows[("mss", "snr=2.5", "si_sdr")].value > rows[("passthrough", "snr=2.5", "si_sdr")].value
    run_dir = mss.run_dir
    for name in ("per_utterance.csv", "metrics.json", "spectrogram.png", "report.md", "provenance.json"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "provenance.json").read_text())["real_time_factor"] > 0
    assert rows[("mss", "all", "csig")].details["pesq_mode"] == "wb"


def test_metrics_scored_later_join_the_stored_ones(tiny_cards: Path) -> None:
    store = Store()
    (first,) = run_jobs([enhance("passthrough", metrics=("si_sdr",))], store)
    (later,) = run_jobs([enhance("passthrough", metrics=("stoi",))], store)
    assert later.run_dir == first.run_dir
    stored = json.loads((first.run_dir / "metrics.json").read_text())["conditions"]["all"]
    assert set(stored) == {"si_sdr", "stoi"} and stored["si_sdr"]["value"] == first.metrics["si_sdr"].value
    assert "| condition | stoi | si_sdr |" in (first.run_dir / "report.md").read_text()


def test_a_metric_variant_is_scored_anew_and_recorded(tiny_cards: Path) -> None:
    store = Store()
    (default,) = run_jobs([enhance("passthrough", metrics=("pesq_nb",))], store)
    (resampled,) = run_jobs([enhance("passthrough", metrics=("pesq_nb",), metric_options={"pesq_nb_rate": "8000"})], store)
    assert resampled.run_dir == default.run_dir  # the same execution: only the metric's protocol changed
    assert default.metrics["pesq_nb"].details["pesq_nb_rate"] == "input"
    assert resampled.metrics["pesq_nb"].details["pesq_nb_rate"] == "8000"
    assert resampled.metrics["pesq_nb"].value != default.metrics["pesq_nb"].value
    (again,) = run_jobs([enhance("passthrough", metrics=("pesq_nb",), metric_options={"pesq_nb_rate": "8000"})], store)
    assert again.metrics["pesq_nb"].value == resampled.metrics["pesq_nb"].value  # reused, protocol kept
    assert again.metrics["pesq_nb"].details["pesq_nb_rate"] == "8000"
