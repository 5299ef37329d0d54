"""The NeRF engine on CUDA (run on a GPU machine: `pytest -m gpu`); skipped with the reason on CPU-only machines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.gpu


def test_hash_grid_on_cuda_matches_the_cpu() -> None:
    from talkbench.methods.nerf.hash_grid import HashGrid, HashGridConfig

    torch.manual_seed(0)
    for dim, kind in ((2, "hash"), (3, "tiled")):
        cfg = HashGridConfig(input_dim=dim, num_levels=6, level_dim=2, base_resolution=16, log2_hashmap_size=14,
                             desired_resolution=256.0, grid_type=kind)
        cpu = HashGrid(cfg)
        gpu = HashGrid(cfg).cuda()
        gpu.load_state_dict(cpu.state_dict())
        x = torch.rand(4096, dim) * 1.98 - 0.99
        torch.testing.assert_close(gpu(x.cuda()).cpu(), cpu(x), atol=1e-5, rtol=1e-5)


def test_er_nerf_trains_and_renders_on_cuda(tiny_cards, tmp_path: Path) -> None:
    from talkbench.core.registries import METHODS
    from talkbench.core.types import Drive
    from talkbench.datasets.cards import load_dataset

    clip = load_dataset("synthetic-portrait", "smoke")
    cls = METHODS.get("er-nerf")
    method = cls(cls.config_for("tiny", {"device": "cuda"}))
    ck = method.train(clip.train(), tmp_path / "w", 0)
    assert ck.meta["device"].startswith("cuda")
    test = clip.test()
    video = method.render(ck, Drive(audio=test.audio, fps=test.fps, num_frames=test.num_frames,
                                    poses=test.annotations["head_pose"]))
    assert video.frames.shape == test.frames.shape and video.frames.dtype == np.uint8 and video.frames.std() > 5
