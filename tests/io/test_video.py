"""Writing and reading videos (io/video.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def test_muxed_audio_keeps_its_timing(tmp_path: Path) -> None:
    """AAC priming samples must not delay the audio of a written mp4 (LSE would read it as an A/V offset)."""
    from talkbench.io.video import read_video, write_video

    sr = 16000
    audio = np.zeros(3 * sr, np.float32)
    audio[sr // 2: sr // 2 + 80] = 0.8  # a click at 0.5 s
    write_video(tmp_path / "click.mp4", np.zeros((75, 32, 32, 3), np.uint8), 25.0, audio)
    video, _ = read_video(tmp_path / "click.mp4")
    n = min(len(video.audio), len(audio))
    lag = int(np.argmax(np.correlate(video.audio[:n], audio[:n], "full"))) - (n - 1)
    assert lag == 0 and abs(len(video.audio) - len(audio)) < 1024
