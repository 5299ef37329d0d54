"""The `bench` command line (cli/main.py): bad input gives one line naming the file or name, and a non-zero exit;
score, prepare, run, check, leaderboard and denoise through `main`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from talkbench.cli.main import main
from talkbench.harness.driver import run_jobs
from talkbench.harness.store import ResultRow, Store
from talkbench.io.video import write_video
from tests.kit.jobs import enhance


def frames(count: int = 12, size: int = 32, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((count, size, size, 3)) * 255).astype(np.uint8)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [l for l in err.strip().splitlines() if l.startswith("bench: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.slow
def test_score_json_identical_videos(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "a.mp4"
    write_video(video, frames(), 25)
    code, out, _ = run_cli(capsys, "score", "--pred", str(video), "--ref", str(video), "--json")
    assert code == 0
    data = json.loads(out)
    assert math.isinf(data["psnr"]) and "1e999" in out  # +inf as valid JSON
    assert data["ssim"] == pytest.approx(1.0)
    assert data["lpips"] is None and "bench weights install alexnet" in data["unavailable"]["lpips"]


def test_score_truncates_different_lengths_with_a_note(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_video(a, frames(12), 25)
    write_video(b, frames(10, seed=1), 25)
    code, out, _ = run_cli(capsys, "score", "--pred", str(a), "--ref", str(b), "--json", "--metric", "psnr")
    data = json.loads(out)
    assert code == 0 and set(data) >= {"psnr"} and "ssim" not in data
    assert "scored the first 10 frames" in data["notes"][0]


@pytest.mark.parametrize("content", [None, b"not a video at all" * 50])
def test_score_missing_or_undecodable_video(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str],
                                            content: bytes | None) -> None:
    bad = tmp_path / "broken.mp4"
    if content is not None:
        bad.write_bytes(content)
    good = tmp_path / "good.mp4"
    write_video(good, frames(), 25)
    code, _, err = run_cli(capsys, "score", "--pred", str(bad), "--ref", str(good))
    line = one_line_error(err)
    assert code == 1 and str(bad) in line
    assert ("no such file" in line) if content is None else ("cannot decode" in line)


def test_score_resolution_mismatch_names_both_files(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_video(a, frames(size=32), 25)
    write_video(b, frames(size=48), 25)
    code, _, err = run_cli(capsys, "score", "--pred", str(a), "--ref", str(b))
    line = one_line_error(err)
    assert code == 1 and str(a) in line and str(b) in line


def test_unknown_names_suggest(bench_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", "--method", "retrival", "--dataset", "synthetic-portrait")
    assert code == 1 and "did you mean 'retrieval'" in one_line_error(err)
    code, _, err = run_cli(capsys, "run", "--method", "static", "--dataset", "synthetic-portriat")
    assert code == 1 and "did you mean 'synthetic-portrait'" in one_line_error(err)
    video = tmp_path / "a.mp4"
    write_video(video, frames(), 25)
    code, _, err = run_cli(capsys, "score", "--pred", str(video), "--ref", str(video), "--metric", "psnrr")
    assert code == 1 and "did you mean 'psnr'" in one_line_error(err)


def _video_with_audio(path: Path, seconds: float, audio_seconds: float, rate: int = 16000) -> None:
    count = int(seconds * 25)
    audio = (0.1 * np.sin(np.arange(int(audio_seconds * rate)) / rate * 2 * np.pi * 220)).astype(np.float32)
    write_video(path, frames(count), 25, audio, sample_rate=rate)


def test_prepare_refuses_audio_shorter_than_video(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video, audio = tmp_path / "clip.mp4", tmp_path / "short.wav"
    write_video(video, frames(50), 25)
    sf.write(audio, np.zeros(16000, dtype=np.float32), 16000)  # 1 s of audio for 2 s of video
    code, _, err = run_cli(capsys, "data", "prepare", "--card", "may", "--video", str(video), "--audio", str(audio))
    line = one_line_error(err)
    assert code == 1 and str(audio) in line and "shorter than the video" in line


def test_prepare_resamples_and_downmixes_with_notes(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video, audio = tmp_path / "clip.mp4", tmp_path / "stereo44k.wav"
    write_video(video, frames(50), 25)
    t = np.arange(int(2.5 * 44100)) / 44100
    sf.write(audio, np.stack([np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 500 * t)], axis=1).astype(np.float32) * 0.2, 44100)
    # Noise frames have no face: --no-annotate prepares frames and audio only (no landmarks/pose/masks).
    code, out, _ = run_cli(capsys, "data", "prepare", "--card", "may", "--video", str(video), "--audio", str(audio),
                           "--no-annotate")
    assert code == 0
    assert "2-channel audio downmixed to mono" in out and "resampled 44100 Hz -> 16000 Hz" in out
    assert "trimmed" in out and "50 frames at 25 fps" in out and "45 train / 5 test" in out
    from talkbench.datasets.cards import load_dataset

    clip = load_dataset("may", "smoke")  # prepared clips are resized to the profile's resolution
    assert clip.frames.shape == (50, 128, 128, 3) and len(clip.audio) == 32000


def test_prepare_converts_frame_rate(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "clip30.mp4"
    write_video(video, frames(60), 30, np.zeros(32000, dtype=np.float32))
    code, out, _ = run_cli(capsys, "data", "prepare", "--card", "obama", "--video", str(video), "--no-annotate")
    assert code == 0 and "30 fps converted to 25 fps (50 frames)" in out


def test_unprepared_video_card_says_how_to_prepare(bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", "--method", "static", "--dataset", "lieu", "--no-leaderboard")
    assert code == 1 and "bench data prepare --card lieu --video PATH" in err


@pytest.mark.slow
def test_run_leaderboard_and_check_detects_tampering(tiny_cards: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", "--method", "oracle", "--method", "static", "--method", "retrieval",
                           "--dataset", "synthetic-portrait", "--profile", "smoke")
    assert code == 0
    assert "| oracle † | ∞ |" in out and "| static |" in out and "| retrieval |" in out
    assert "Measured (" not in out  # no claims table names these baselines: no table of dashes
    done = [line for line in out.splitlines() if line.startswith("[done]")]
    assert len(done) == 3 and all(Path(line.rsplit(" (", 1)[1].rstrip(")")).is_dir() for line in done), done
    baseline = tmp_path / "baseline.json"
    assert run_cli(capsys, "check", "--baseline", str(baseline), "--write")[0] == 0
    code, out, _ = run_cli(capsys, "check", "--baseline", str(baseline))
    assert code == 0 and out.startswith("bench check: ") and "0 FAIL, 0 missing, 0 new: passed" in out.splitlines()[0]
    data = json.loads(baseline.read_text())
    assert {e["metric"] for e in data["entries"]} > {"psnr", "ssim", "lpips"}  # every metric of the task is kept
    entry = next(e for e in data["entries"] if e["method"] == "retrieval" and e["metric"] == "psnr")
    entry["value"] = entry["value"] + 1.0
    baseline.write_text(json.dumps(data))
    code, out, _ = run_cli(capsys, "check", "--baseline", str(baseline), "--failures-only")
    lines = out.splitlines()
    assert code == 1 and "1 FAIL" in lines[0] and lines[3].split()[:7] == [
        "FAIL", "reconstruct", "synthetic-portrait", "original", "retrieval", "psnr", f"{entry['value']:.6g}"]
    assert "-1" in lines[3].split() and not any(line.startswith("ok ") for line in lines)
    for fmt in ("csv", "tex", "html"):
        code, out, _ = run_cli(capsys, "leaderboard", "--format", fmt)
        assert code == 0 and "retrieval" in out


def test_score_face_and_sync_metrics_say_why_they_cannot_run(tmp_path: Path, bench_home: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from skimage import data

    face = np.ascontiguousarray(data.astronaut()[0:320:2, 70:390:2])
    video = tmp_path / "face.mp4"
    write_video(video, np.stack([face] * 6), 25, audio=np.zeros(16000 * 6 // 25, np.float32))
    code, out, _ = run_cli(capsys, "score", "--pred", str(video), "--ref", str(video), "--json", "--metric", "lmd",
                           "--metric", "lse_c", "--metric", "aue", "--region", "face",
                           "--openface-bin", str(tmp_path / "no-such-FeatureExtraction"))
    assert code == 0
    result = json.loads(out)
    assert result["lmd"] == 0.0 and result["details"]["lmd"]["region"] == "face"
    assert result["lse_c"] is None and "bench weights install syncnet_v2" in result["unavailable"]["lse_c"]
    assert result["aue"] is None and "no-such-FeatureExtraction" in result["unavailable"]["aue"]


def test_prepare_without_a_face_names_the_video(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "noface.mp4"
    write_video(video, frames(50, size=128), 25, np.zeros(16000 * 50 // 25, dtype=np.float32))
    code, _, err = run_cli(capsys, "data", "prepare", "--card", "may", "--video", str(video))
    line = one_line_error(err)
    assert code == 1 and str(video) in line and "no face found in any of its 50 frames" in line


@pytest.mark.slow
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


@pytest.mark.slow
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


def record_static(store: Store, execution: str, value: float, started: float) -> None:
    run_id = "reconstruct-d-static-smoke-s0"
    store.record({"run_id": run_id, "execution": execution, "task": "reconstruct", "method": "static", "variant": "",
                  "dataset": "d", "profile": "smoke", "seed": 0, "status": "complete", "started": started},
                 [ResultRow(run_id=run_id, task="reconstruct", method="static", variant="", dataset="d", profile="smoke",
                            seed=0, condition="original", metric="psnr", value=value, count=5, unavailable_reason=None,
                            higher_is_better=True, dataset_sha="abc", execution=execution, started=started)], {})


def test_leaderboard_latest_run_or_all_runs(bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    record_static(store, "20240101T000000Z-aaaa1111", 21.5, 1.0)
    record_static(store, "20240201T000000Z-bbbb2222", 23.25, 2.0)
    assert main(["leaderboard"]) == 0
    out = capsys.readouterr().out
    assert "23.25" in out and "21.5" not in out
    assert main(["leaderboard", "--all-runs"]) == 0
    out = capsys.readouterr().out
    assert "static s0 @ 20240101T000000Z-aaaa1111" in out and "21.50" in out and "23.25" in out
