"""`bench data prepare`: turn a local talking-portrait video into a Clip (25 fps, 16 kHz mono, split)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from bench.data.cards import get_card, prepared_dir
from bench.data.clip_store import save_clip
from bench.errors import BenchError, InputError
from bench.io.audio import read_audio
from bench.io.video import read_video
from bench.types import SAMPLE_RATE, Clip

TARGET_FPS = 25.0


def resample_frame_indices(num_frames: int, source_fps: float, target_fps: float = TARGET_FPS) -> np.ndarray:
    """Indices of source frames nearest to each target-rate timestamp (frame-rate conversion by selection)."""
    duration = num_frames / source_fps
    count = int(np.floor(duration * target_fps + 1e-6))
    return np.minimum(np.round(np.arange(count) * source_fps / target_fps).astype(int), num_frames - 1)


def prepare_video(card_name: str, video_path: str | Path, audio_path: str | Path | None = None,
                  out_dir: Path | None = None) -> tuple[Clip, list[str]]:
    """Decode, conform and store a card's clip; returns it with notes of every conversion made."""
    card = get_card(card_name)
    if card.kind != "video":
        raise BenchError(f"card {card.name!r} is {card.kind}: it is generated, not prepared from a video")
    video, notes = read_video(video_path)
    if audio_path is not None:
        audio, anotes = read_audio(audio_path)
        notes += anotes
        audio_source = str(audio_path)
    elif video.audio is not None:
        audio, audio_source = video.audio, str(video_path)
    else:
        raise InputError(f"{video_path}: no audio stream; pass --audio FILE")
    frames = video.frames
    if abs(video.fps - TARGET_FPS) > 1e-3:
        idx = resample_frame_indices(len(frames), video.fps)
        frames = frames[idx]
        notes.append(f"{video_path}: {video.fps:g} fps converted to {TARGET_FPS:g} fps ({len(frames)} frames)")
    video_seconds = len(frames) / TARGET_FPS
    audio_seconds = len(audio) / SAMPLE_RATE
    if audio_seconds + 1.0 / TARGET_FPS < video_seconds:
        raise InputError(f"{audio_source}: audio is {audio_seconds:.2f} s, shorter than the video's {video_seconds:.2f} s")
    expected = int(round(video_seconds * SAMPLE_RATE))
    if len(audio) > expected:
        notes.append(f"{audio_source}: audio trimmed from {audio_seconds:.2f} s to the video's {video_seconds:.2f} s")
    audio = np.pad(audio[:expected], (0, max(0, expected - len(audio))))
    h, w = frames.shape[1:3]
    want = card.data.get("resolution", {}).get("expected")
    if want and (h, w) != (want, want):
        notes.append(f"{video_path}: frames are {w}x{h}, the papers used {want}x{want} for {card.name}")
    digest = hashlib.sha256(Path(video_path).read_bytes()).hexdigest()[:16]
    clip = Clip(name=card.name, frames=frames, fps=TARGET_FPS, audio=audio,
                meta={"source_video": str(video_path), "source_sha256": digest, "notes": notes,
                      "content_sha256": digest, "card": card.name})
    save_clip(clip, out_dir or prepared_dir(card))
    return clip, notes
