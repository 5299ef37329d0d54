"""Throughput of the mediapipe landmark pass and of LMD on CPU at 256 and 512 px (frames/s).

The frames are the skimage astronaut portrait (a real, detectable face) resized to the size,
with a small per-frame shift so no two frames are identical. The landmark memo is cleared
before every round so each round really runs the mesh; LMD covers both videos (prediction and
reference: two landmark passes) plus the distance arithmetic.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from talkbench.perception import landmarks as lm
from talkbench.metrics.face.lmd import lmd

N_FRAMES = 16


def _frames(size: int) -> np.ndarray:
    from skimage import data

    face = cv2.resize(np.ascontiguousarray(data.astronaut()[0:320, 70:390]), (size, size), interpolation=cv2.INTER_AREA)
    return np.stack([np.roll(face, i % 4, axis=1) for i in range(N_FRAMES)])


@pytest.mark.parametrize("size", [256, 512])
def test_mediapipe_landmarks(benchmark, record_throughput, size: int) -> None:
    frames = _frames(size)

    def run() -> None:
        lm.clear_cache()
        track = lm.landmarks(frames, "mediapipe")
        assert track.found.all()

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record_throughput(f"mediapipe landmarks {size}px", benchmark, N_FRAMES)


@pytest.mark.parametrize("size", [256, 512])
def test_lmd(benchmark, record_throughput, size: int) -> None:
    ref = _frames(size)
    pred = np.ascontiguousarray(ref[:, ::-1, :, :][:, ::-1])  # same content, different buffer

    def run() -> None:
        lm.clear_cache()
        result, _, _ = lmd(pred, np.roll(ref, 1, axis=2))
        assert np.isfinite(result.value)

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record_throughput(f"LMD (both videos) {size}px", benchmark, N_FRAMES)
