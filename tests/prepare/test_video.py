"""`bench data prepare --video` (bench/prepare/video.py): the shortest clip it accepts, and a new dataset version when
a card is prepared again from other content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.cli.main import main
from talkbench.core.errors import InputError
from talkbench.core.types import MIN_TEST_FRAMES, SAMPLE_RATE, min_clip_frames, train_test_split_index
from talkbench.io.video import write_video
from talkbench.prepare.video import check_length


def _video(path: Path, count: int, seed: int) -> Path:
    frames = (np.random.default_rng(seed).random((count, 32, 32, 3)) * 255).astype(np.uint8)
    tone = 0.1 * np.sin(np.arange(int(count / 25 * SAMPLE_RATE)) * 2 * np.pi * 220 / SAMPLE_RATE)
    write_video(path, frames, 25, tone.astype(np.float32))
    return path


def test_the_shortest_clip_has_five_test_frames() -> None:
    shortest = min_clip_frames()
    assert shortest == 45 and shortest - train_test_split_index(shortest) == MIN_TEST_FRAMES
    assert (shortest - 1) - train_test_split_index(shortest - 1) < MIN_TEST_FRAMES
    check_length(45, 54, 30.0, "ok.mp4")  # 54 frames at 30 fps become 45 at 25 fps: accepted
    with pytest.raises(InputError, match=r"short.mp4: 53 frames at 30 fps \(1.77 s\) is too short: .*at least 45 frames"):
        check_length(44, 53, 30.0, "short.mp4")


@pytest.mark.slow
def test_preparing_from_another_video_is_a_new_version(tmp_path: Path, bench_home: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.harness.store import Store

    first, second = _video(tmp_path / "first.mp4", 50, 0), _video(tmp_path / "second.mp4", 50, 1)
    run = ["run", "--method", "static", "--dataset", "may", "--numerics", "native", "--metric", "psnr", "--no-leaderboard"]
    assert main(["data", "prepare", "--card", "may", "--video", str(first), "--no-annotate"]) == 0
    assert "new dataset version" not in capsys.readouterr().out
    assert main(run) == 0
    (old,) = Store().results(dataset="may")
    assert main(["data", "prepare", "--card", "may", "--video", str(second), "--no-annotate"]) == 0
    out = capsys.readouterr().out
    kept = bench_home / "data" / "may" / "versions" / old.dataset_sha
    assert "card may: new dataset version" in out and f"replaces version {old.dataset_sha} (from {first})" in out
    assert (kept / "clip.json").is_file() and str(kept) in out
    assert main(run) == 0
    from talkbench.datasets.cards import load_dataset

    (new,) = Store().results(dataset="may")
    assert new.dataset_sha == load_dataset("may", "smoke").meta["content_sha256"] != old.dataset_sha
    assert main(["data", "prepare", "--card", "may", "--video", str(second), "--no-annotate"]) == 0
    assert "new dataset version" not in capsys.readouterr().out  # the same content again: the same version


def test_nearest_frames_by_timestamp() -> None:
    from talkbench.prepare.video import nearest_frames

    thirty = np.arange(60) / 30  # 2 s at 30 fps -> 50 frames at 25 fps: frame k shows source frame round(k * 1.2)
    assert np.array_equal(nearest_frames(thirty, 2.0, 25.0), np.round(np.arange(50) * 1.2 + 1e-9).astype(int))
    # a phone's variable rate: 30 fps with frames 3 and 4 dropped; the timestamps, not the indices, decide
    phone = np.delete(np.arange(12) / 30, [3, 4])
    picked = nearest_frames(phone, 12 / 30, 25.0)
    # 0.12 s is nearer the frame after the gap (5/30) than the one before it (2/30)
    assert np.allclose(phone[picked] * 30, [0, 1, 2, 5, 5, 6, 7, 8, 10, 11], atol=1e-9)
    assert np.array_equal(nearest_frames(np.array([0.0]), 0.2, 25.0), np.zeros(5, int))


def test_frames_already_at_the_rate_are_kept_as_they_are() -> None:
    from talkbench.prepare.video import conform_frames

    frames = np.arange(50, dtype=np.uint8).reshape(50, 1, 1, 1).repeat(3, axis=3)
    jitter = np.arange(50) / 25 + np.random.default_rng(0).uniform(-1e-4, 1e-4, 50)  # container rounding
    kept, notes = conform_frames(frames, jitter, 25.0, 25.0, "v.mp4")
    assert kept is frames and notes == []
    converted, notes = conform_frames(frames, np.arange(50) / 25, 25.0, 30.0, "v.mp4")
    assert len(converted) == 60 and notes[0].startswith("v.mp4: 25 fps converted to 30 fps (60 frames): each frame is the "
                                                        "source frame nearest in time")


def test_a_30_fps_video_with_44k_audio_stays_in_sync(tmp_path: Path, bench_home: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Frame i of the source shows i in binary (eight 4 px stripes, white for a 1 bit); a beep sounds at 1.0 s.
    At 25 fps, frame k must show source frame round(1.2 k) and the beep must start at sample 16000 of the 16 kHz
    audio, i.e. under frame 25."""
    rate, seconds = 44100, 3.0
    count = int(30 * seconds)
    bits = (np.arange(count)[:, None] >> np.arange(8)[None, :]) & 1  # [T, 8]
    frames = np.ascontiguousarray(np.broadcast_to((bits * 255).astype(np.uint8).repeat(4, axis=1)[:, None, :, None],
                                                  (count, 32, 32, 3)))
    audio = np.zeros(int(rate * seconds), np.float32)
    audio[rate: rate + 441] = 0.8 * np.sin(np.arange(441) * 2 * np.pi * 1000 / rate)  # a 10 ms beep at 1.0 s
    write_video(tmp_path / "v30.mp4", frames, 30, audio, sample_rate=rate, crf=0)
    assert main(["data", "prepare", "--name", "sync", "--video", str(tmp_path / "v30.mp4"), "--no-annotate"]) == 0
    out = capsys.readouterr().out
    assert f"note: {tmp_path / 'v30.mp4'}: 30 fps converted to 25 fps (75 frames)" in out
    assert f"note: {tmp_path / 'v30.mp4'}: resampled 44100 Hz -> 16000 Hz" in out
    from talkbench.datasets.cards import get_card, load_dataset

    clip = load_dataset("sync", "paper")
    assert get_card("sync").user and clip.num_frames == 75 and clip.fps == 25 and len(clip.audio) == 48000
    shown = ((clip.frames[:, 16, 2::4, 0] > 127) * (1 << np.arange(8))).sum(axis=1)
    assert np.abs(shown - np.round(np.arange(75) * 1.2)).max() <= 0  # the nearest source frame, exactly
    onset = int(np.argmax(np.abs(clip.audio) > 0.2))
    assert abs(onset - 16000) <= 16  # within 1 ms: the beep stays at 1.0 s, under frame 25
