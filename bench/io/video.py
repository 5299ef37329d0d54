"""Video decode/encode through PyAV (its own FFmpeg libraries: no ffmpeg binary needed)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from talkbench.core.errors import InputError
from talkbench.infra.atomic import atomic_file
from talkbench.io.audio import conform_audio
from talkbench.core.types import SAMPLE_RATE, Video
from talkbench.infra.paths import input_file


def read_video(path: str | Path, *, with_audio: bool = True, resample_audio: bool = True) -> tuple[Video, list[str]]:
    """Decode all frames (RGB uint8) and, if present, the audio (16 kHz mono); errors name the file."""
    video, _, notes = read_timed_video(path, with_audio=with_audio, resample_audio=resample_audio)
    return video, notes


def read_timed_video(path: str | Path, *, with_audio: bool = True,
                     resample_audio: bool = True) -> tuple[Video, np.ndarray, list[str]]:
    """`read_video`, plus each frame's presentation time in seconds from the start of the file's audio stream (from the
    first frame when it has none): variable-frame-rate files (phones drop frames) keep their real timing this way."""
    path = input_file(path)
    notes: list[str] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"{path}: no video stream")
            vstream = container.streams.video[0]
            fps = float(vstream.average_rate or vstream.guessed_rate or 0) or 25.0
            frames, times = [], []
            for f in container.decode(vstream):
                frames.append(f.to_ndarray(format="rgb24"))
                times.append(np.nan if f.time is None else float(f.time))
            origin = _stream_start(container.streams.audio[0]) if container.streams.audio else None
        audio = None
        if with_audio:
            with av.open(str(path)) as container:
                if container.streams.audio:
                    astream = container.streams.audio[0]
                    chunks, sr = [], astream.rate
                    for frame in container.decode(astream):
                        arr = frame.to_ndarray()
                        if arr.dtype.kind == "i":
                            arr = arr.astype(np.float32) / np.iinfo(arr.dtype).max
                        if frame.format.is_packed:
                            arr = arr.reshape(-1, len(frame.layout.channels)).T
                        chunks.append(arr.astype(np.float32))
                    if chunks:
                        audio, anotes = conform_audio(np.concatenate(chunks, axis=1), sr, str(path), resample=resample_audio)
                        notes += anotes
    except InputError:
        raise
    except Exception as exc:  # PyAV raises many error types for broken files
        raise InputError(f"{path}: cannot decode video ({type(exc).__name__}: {exc})") from exc
    if not frames:
        raise InputError(f"{path}: no decodable frames")
    stamps = np.asarray(times, dtype=np.float64)
    if not np.all(np.isfinite(stamps)) or np.any(np.diff(stamps) <= 0):  # no usable timestamps: the nominal rate
        stamps = np.arange(len(frames)) / fps
        origin = None
    stamps = stamps - (stamps[0] if origin is None else origin)
    return Video(frames=np.stack(frames), fps=fps, audio=audio, source=str(path)), stamps, notes


def _stream_start(stream: av.stream.Stream) -> float:
    """A stream's start time in seconds (0 when the container does not say)."""
    return float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0


def write_video(path: str | Path, frames: np.ndarray, fps: float, audio: np.ndarray | None = None,
                sample_rate: int = SAMPLE_RATE, crf: int = 18) -> None:
    """Encode H.264 (yuv420p) mp4 with the driving audio muxed in as AAC (for viewing; scores use raw frames)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames.shape[1:3]
    # yuv420p needs even sizes; pad by edge replication rather than crop so no pixel is lost.
    pad_h, pad_w = h % 2, w % 2
    with atomic_file(path, suffix=path.suffix) as tmp, av.open(str(tmp), mode="w", format="mp4") as container:
        vstream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        vstream.width, vstream.height = w + pad_w, h + pad_h
        vstream.pix_fmt = "yuv420p"
        vstream.options = {"crf": str(crf), "preset": "medium"}
        astream = None
        if audio is not None and audio.size:
            astream = container.add_stream("aac", rate=sample_rate)
            astream.layout = "mono"
        for frame in frames:
            if pad_h or pad_w:
                frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
            for packet in vstream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in vstream.encode():
            container.mux(packet)
        if astream is not None:
            pcm = np.clip(audio, -1, 1).astype(np.float32)[None, :]
            aframe = av.AudioFrame.from_ndarray(pcm, format="fltp", layout="mono")
            aframe.sample_rate = sample_rate
            # An explicit pts of 0 makes the encoder's priming samples (1024 for AAC) negative-time, so
            # the muxer writes an edit list and decoders drop them; without it the audio would play
            # 64 ms late at 16 kHz, which sync metrics (LSE) read as a 1.6-frame offset.
            aframe.pts = 0
            aframe.time_base = Fraction(1, sample_rate)
            for packet in astream.encode(aframe):
                container.mux(packet)
            for packet in astream.encode():
                container.mux(packet)
