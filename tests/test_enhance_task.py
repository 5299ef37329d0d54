"""The enhance task end to end: speech datasets, denoisers, per-SNR tables, claims, audio scoring."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from talkbench.cli.main import main
from talkbench.harness.driver import run_jobs
from talkbench.harness.jobs import JobSpec
from talkbench.harness.store import Store


def enhance(method: str, **kw: object) -> JobSpec:
    return JobSpec(method=method, dataset="synthetic-noisy-speech", task="enhance", **kw)  # type: ignore[arg-type]


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


def test_leaderboard_with_claims_and_per_snr_tables(tiny_cards: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_jobs([enhance("passthrough"), enhance("mss")], Store())
    assert main(["leaderboard", "--task", "enhance", "--with-claims"]) == 0
    out = capsys.readouterr().out
    assert out.index("### enhance — synthetic-noisy-speech (smoke profile)") < out.index("snr=2.5") < out.index("snr=17.5")
    assert "| MSS (WildTalker) | mss |" in out and "| 3.87 |" in out and "| CMGAN (ICASSP'24) | – |" in out
    assert "different data" in out


def test_score_audio_json_and_denoise_cli(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.datasets.speech import synthesize

    clean = np.concatenate([np.zeros(8000, np.float32), synthesize("Kick the ball straight and follow through.")])
    noisy = clean + 0.02 * np.random.default_rng(0).standard_normal(len(clean)).astype(np.float32)
    sf.write(tmp_path / "clean.wav", clean, 16000)
    sf.write(tmp_path / "noisy44k.wav", np.interp(np.arange(0, len(noisy), 16000 / 44100), np.arange(len(noisy)), noisy), 44100)
    assert main(["denoise", str(tmp_path / "noisy44k.wav"), str(tmp_path / "out.wav"), "--method", "mss", "--set", "alpha=2.0"]) == 0
    captured = capsys.readouterr()
    assert "resampled 44100 Hz -> 16000 Hz" in captured.err
    assert main(["score", "--pred", str(tmp_path / "out.wav"), "--ref", str(tmp_path / "clean.wav"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("pesq", "stoi", "csig", "cbak", "covl"):
        assert isinstance(data[key], float) and math.isfinite(data[key]), key
    assert data["details"]["csig"]["pesq_mode"] == "wb"


def _fake_voicebank(root: Path, count: int = 824, speakers: tuple[str, ...] = ("p232", "p257")) -> None:
    (root / "clean_testset_wav").mkdir(parents=True)
    (root / "noisy_testset_wav").mkdir()
    rng = np.random.default_rng(0)
    lines = []
    for i in range(count):
        stem = f"{speakers[i % len(speakers)]}_{i:03d}"
        x = (0.1 * rng.standard_normal(960)).astype(np.float32)
        sf.write(root / "clean_testset_wav" / f"{stem}.wav", x, 48000)
        sf.write(root / "noisy_testset_wav" / f"{stem}.wav", x + 0.01, 48000)
        lines.append(f"{stem} bus {[2.5, 7.5, 12.5, 17.5][i % 4]}")
    (root / "log_testset.txt").write_text("\n".join(lines))


def test_voicebank_prepare_checks_and_converts(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fake_voicebank(tmp_path / "vb")
    assert main(["data", "prepare", "--card", "voicebank-demand", "--path", str(tmp_path / "vb")]) == 0
    out = capsys.readouterr().out
    assert "resampled [48000] Hz -> 16000 Hz" in out and "824 utterances" in out and "snr=2.5" in out
    from talkbench.datasets.cards import load_speech

    speech = load_speech("voicebank-demand", "smoke")
    assert len(speech.utterances) == 824 and len(speech.utterances[0].clean) == 320
    assert speech.conditions() == ["all", "snr=2.5", "snr=7.5", "snr=12.5", "snr=17.5"]


def test_voicebank_prepare_refuses_wrong_counts(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fake_voicebank(tmp_path / "vb", count=10)
    assert main(["data", "prepare", "--card", "voicebank-demand", "--path", str(tmp_path / "vb")]) == 1
    assert "10 utterances, the voicebank-demand test set has 824" in capsys.readouterr().err
    code = main(["run", "--task", "enhance", "--method", "mss", "--dataset", "voicebank-demand", "--no-leaderboard"])
    assert code == 1 and "bench data prepare --card voicebank-demand --path DIR" in capsys.readouterr().err
