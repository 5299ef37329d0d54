"""Frames stored exactly: a lossless UT Video stream (median prediction, planar RGB) in an AVI file, through PyAV.

The clip store keeps a clip's frames this way (`talkbench.io.clip_store`): the metrics compare renders against these
frames, so they must come back bit for bit; planar RGB (`gbrp`) is a rearrangement of rgb24, no colour conversion.
UT Video was chosen over FFV1 and lossless x264 for its decoding speed (measured on 512-700 px talking heads, DESIGN.md
"Prepared clips are stored compressed"): about 3 ms of CPU per 512 px frame against FFV1's 13.5, at 1.4x FFV1's size.
AVI because FFmpeg's Matroska and MP4 muxers refuse UT Video; past 1 GB FFmpeg writes OpenDML (AVI 2.0) indexes.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

CODEC = "utvideo"
PIXEL_FORMAT = "gbrp"
OPTIONS = {"pred": "median"}


def write_frames(path: Path, frames: np.ndarray, fps: float = 25.0) -> None:
    """Encode uint8 [T,H,W,3] RGB frames losslessly into `path` (an .avi file)."""
    from fractions import Fraction

    h, w = frames.shape[1:3]
    with av.open(str(path), mode="w", format="avi") as container:
        stream = container.add_stream(CODEC, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, PIXEL_FORMAT
        stream.options = dict(OPTIONS)
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def read_frames(path: Path, count: int, height: int, width: int) -> np.ndarray:
    """Decode `count` frames of `height`x`width` written by `write_frames`; ValueError naming the file when the stream
    holds another number or size of frames (a cut or substituted file)."""
    out = np.empty((count, height, width, 3), dtype=np.uint8)
    seen = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # frames decode in parallel: 20-30 % faster even on 2 busy cores
            for frame in container.decode(stream):
                if seen >= count or (frame.height, frame.width) != (height, width):
                    raise ValueError(f"{path}: holds more than {count} frames or frames of another size "
                                     f"({frame.width}x{frame.height}, expected {width}x{height})")
                out[seen] = frame.to_ndarray(format="rgb24")
                seen += 1
    except av.error.FFmpegError as exc:  # not all of PyAV's errors are OSError/ValueError: name the file either way
        raise ValueError(f"{path}: cannot decode ({type(exc).__name__}: {exc})") from exc
    if seen != count:
        raise ValueError(f"{path}: holds {seen} frames, expected {count}")
    return out
