"""Throughput of the image metrics at 256×256 on CPU, 16 frames per call (frames/s = 16 / mean time).

LPIPS runs with a seeded random-weight AlexNet placed in a temporary weights cache (the
same code path as the real backbone; the speed does not depend on the weights' values).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from talkbench.metrics.image.psnr import psnr_per_frame
from talkbench.metrics.image.ssim import ssim_per_frame

N_FRAMES = 16
SIZE = 256


@pytest.fixture(scope="module")
def frame_pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 256, (N_FRAMES, SIZE, SIZE, 3), dtype=np.uint8)
    pred = np.clip(ref + rng.normal(0, 8, ref.shape), 0, 255).astype(np.uint8)
    return pred, ref


@pytest.fixture(scope="module")
def random_alexnet_installed(tmp_path_factory: pytest.TempPathFactory):
    """A random alexnet in a temporary BENCH_HOME with the registry expecting its hash; undone afterwards."""
    import torch

    from talkbench.infra import weights
    from talkbench.infra.torchvision_compat import import_torchvision
    from talkbench.zoo import lpips as lpips_mod

    tv = import_torchvision()
    home = tmp_path_factory.mktemp("bench_home")
    hub_before = getattr(torch.hub, "_hub_dir", None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCH_HOME", str(home))
        entry = weights.ENTRIES["alexnet"]
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        torch.save(tv.models.alexnet().state_dict(), entry.path)
        mp.setitem(weights.ENTRIES, "alexnet", dataclasses.replace(entry, sha256=weights.sha256_of(entry.path)))
        lpips_mod.clear_cache()
        yield
        lpips_mod.clear_cache()
    torch.hub._hub_dir = hub_before


def test_psnr_throughput(benchmark, record_throughput, frame_pair) -> None:
    pred, ref = frame_pair
    values = benchmark(psnr_per_frame, pred, ref)
    assert values.shape == (N_FRAMES,)
    record_throughput(f"psnr {SIZE}x{SIZE} frames/s", benchmark, N_FRAMES)


def test_ssim_throughput(benchmark, record_throughput, frame_pair) -> None:
    pred, ref = frame_pair
    values = benchmark(ssim_per_frame, pred, ref)
    assert values.shape == (N_FRAMES,)
    record_throughput(f"ssim {SIZE}x{SIZE} frames/s", benchmark, N_FRAMES)


def test_lpips_throughput(benchmark, record_throughput, frame_pair, random_alexnet_installed) -> None:
    import torch

    from talkbench.metrics.image.lpips import lpips_per_frame
    from talkbench.zoo.lpips import get_model

    pred, ref = frame_pair
    get_model("alex", "cpu")  # build (and verify the file) outside the timed calls
    values = benchmark(lpips_per_frame, pred, ref, net="alex", device="cpu", batch_size=N_FRAMES)
    assert values.shape == (N_FRAMES,)
    record_throughput(f"lpips {SIZE}x{SIZE} frames/s (cpu, {torch.get_num_threads()} threads)", benchmark, N_FRAMES)
