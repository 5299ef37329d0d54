"""NeRF methods and parts at test sizes: a few steps of everything at the sizes a 64 px clip needs, and hash-grid cases.

The `tiny_clip` and `one_thread` fixtures are in tests/methods/conftest.py."""

from __future__ import annotations

from pathlib import Path

from talkbench.core.types import Checkpoint, Drive
from talkbench.methods.nerf.hash_grid import HashGridConfig

# A few steps of everything, at sizes a 64 px clip needs.
TINY = {
    "stages.iters": "6",
    "stages.lips_iters": "0",
    "stages.torso_iters": "4",
    "sampling.num_rays": "256",
    "sampling.torso_num_rays": "256",
    "sampling.frames_per_step": "2",
    "sampling.num_steps": "8",
    "occupancy.resolution": "12",
    "occupancy.warmup": "3",
    "occupancy.update_interval": "3",
    "head.grid.levels": "4",
    "head.grid.desired_resolution": "64",
    "torso.grid.levels": "4",
    "torso.grid.desired_resolution": "64",
    "stages.log_every": "2",
    "sampling.max_ray_batch": "1024",
}


RAD_TINY = {"ambient_grid.levels": "4", "ambient_grid.desired_resolution": "64"}
STAGE_KEYS = {"iters": "stages.iters", "torso_iters": "stages.torso_iters", "lips_iters": "stages.lips_iters"}


def tiny_method(name: str, **extra: str):
    from talkbench.core.registries import METHODS

    cls = METHODS.get(name)
    extra = {STAGE_KEYS.get(k, k): v for k, v in extra.items()}
    overrides = dict(TINY, **(RAD_TINY if name == "rad-nerf" else {}), **extra)
    return cls(cls.config_for("smoke", overrides))


def drive(clip, poses: bool = True) -> Drive:
    test = clip.test()
    return Drive(audio=test.audio, fps=test.fps, num_frames=test.num_frames,
                 poses=test.annotations["head_pose"] if poses else None)


def train(method, clip, workdir: Path, seed: int = 0) -> Checkpoint:
    from talkbench.harness.stages import seed_everything

    workdir.mkdir(parents=True, exist_ok=True)
    seed_everything(seed)
    return method.train(clip.train(), workdir, seed)


GRID_CASES = {
    # level 0 dense (5^2 = 25 <= 64 rows), levels 1-2 hashed
    "2d-hash": HashGridConfig(input_dim=2, num_levels=3, level_dim=2, base_resolution=4, log2_hashmap_size=6, per_level_scale=2.0),
    # level 0 dense (3^3 = 27 <= 64), levels 1-2 hashed; desired_resolution sets the scale
    "3d-hash": HashGridConfig(input_dim=3, num_levels=3, level_dim=2, base_resolution=2, log2_hashmap_size=6, desired_resolution=8),
    "2d-align-corners": HashGridConfig(input_dim=2, num_levels=3, level_dim=1, base_resolution=5, log2_hashmap_size=6, align_corners=True),
    # tiled: level 1 wraps its full dense index, level 2 drops z from it (torch-ngp's stride rule)
    "3d-tiled": HashGridConfig(input_dim=3, num_levels=3, level_dim=1, base_resolution=2, log2_hashmap_size=6, grid_type="tiled"),
}
