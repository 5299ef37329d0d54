"""The NeRF engine's typed, nested config: grids, stages, sampling, occupancy, optimiser, losses, audio, head, torso.

Names no method: each method's config subclasses `NeRFConfig`, sets its paper's values as the defaults (the
`paper` profile) and adds its own switches as top-level booleans. Fields are addressed by dotted keys
(`--set optim.lr=5e-3`, `--set stages.iters=2000`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from talkbench.audio_features.registry import EXTRACTORS
from talkbench.core.config import MethodConfig, bounded, one_of
from talkbench.methods.nerf.hash_grid import HashGridConfig

LOG_MEL_BINS = 201
"""Frequency bins of the log-mel features' 25 ms window at 16 kHz (400 samples): more mel bands would be empty."""


@dataclass
class GridSpec(MethodConfig):
    """A multiresolution grid encoding (torch-ngp's GridEncoder arguments)."""

    levels: int = bounded(12, 1, 32)
    """Resolution levels."""
    level_dim: int = bounded(1, 1, 8)
    """Features per level."""
    base_resolution: int = bounded(64, 1)
    """Coarsest resolution."""
    log2_hashmap_size: int = bounded(14, 4, 24)
    """log2 of the table rows per level."""
    desired_resolution: int = bounded(512, 1)
    """Finest resolution (times bound = 1)."""

    def encoding(self, dim: int, grid_type: str) -> HashGridConfig:
        """The hash-grid config of this spec over `dim` input dimensions ("hash" or "tiled" tables)."""
        return HashGridConfig(input_dim=dim, num_levels=self.levels, level_dim=self.level_dim,
                              base_resolution=self.base_resolution, log2_hashmap_size=self.log2_hashmap_size,
                              desired_resolution=float(self.desired_resolution), grid_type=grid_type)  # type: ignore[arg-type]


@dataclass
class StagesConfig(MethodConfig):
    """Training stages: head, lips (LPIPS fine-tuning), torso (head frozen)."""

    iters: int = bounded(100_000, 1)
    """Head-stage training steps."""
    lips_iters: int = bounded(25_000, 0)
    """Lip fine-tuning steps (LPIPS on the lips' box every other step); 0 skips the stage."""
    torso_iters: int = bounded(200_000, 0)
    """Torso-stage training steps (head frozen); 0 skips the torso (the background is used instead)."""
    log_every: int = bounded(10, 1)
    """Steps between rows of curves.csv."""


@dataclass
class SamplingConfig(MethodConfig):
    """Which rays each step trains on and how samples are placed along them."""

    num_rays: int = bounded(4096 * 16, 1)
    """Rays per head-stage step, split over `frames_per_step` frames."""
    torso_num_rays: int = bounded(4096 * 16, 1)
    """Rays per torso-stage step."""
    frames_per_step: int = bounded(1, 1)
    """Training frames per step (the references use 1)."""
    box_fraction: float = bounded(0.0, 0, 1)
    """Share of head-stage rays drawn inside the frame's projected head box (the rest: anywhere in the frame)."""
    lips_fraction: float = bounded(0.0, 0, 1)
    """Share of head-stage rays drawn inside the lips' box (taken from the box_fraction share; needs landmarks)."""
    num_steps: int = bounded(16, 1)
    """Stratified samples per ray inside the head box."""
    upsample_steps: int = bounded(0, 0)
    """Importance samples per ray added after a coarse pass (0: none)."""
    max_ray_batch: int = bounded(4096, 1)
    """Rays per chunk when rendering (bounds memory)."""
    min_near: float = bounded(0.05, 0, low_open=True)
    """Nearest sample distance from the camera, NeRF units."""
    head_margin: float = bounded(1.1, 0, low_open=True)
    """The measured head box is grown by this factor about its centre."""


@dataclass
class OccupancyConfig(MethodConfig):
    """The occupancy grid that skips samples in empty space (a training callback)."""

    resolution: int = bounded(128, 0)
    """Cells per axis over the head box (0: no empty-space skipping)."""
    density_thresh: float = bounded(10.0, 0)
    """Cells are occupied above min(mean density, this)."""
    update_interval: int = bounded(16, 1)
    """Steps between grid updates."""
    warmup: int = bounded(256, 0)
    """Steps before samples in empty cells start being skipped."""


@dataclass
class OptimConfig(MethodConfig):
    """Optimiser and learning-rate schedule."""

    optimizer: str = one_of("adamw", "adamw", "adam")
    """"adamw" or "adam"."""
    lr: float = bounded(1e-2, 0, low_open=True)
    """Learning rate of the grid tables."""
    lr_net: float = bounded(1e-3, 0, low_open=True)
    """Learning rate of the MLPs, audio network and codes."""
    lr_decay: float = bounded(0.5, 0, low_open=True)
    """Learning-rate factor reached at the last step of a stage (exponential decay)."""
    lips_lr_decay: float = bounded(0.05, 0, low_open=True)
    """Learning-rate factor reached at the last lip step (continuing from the head stage's step)."""
    beta1: float = bounded(0.0, 0, 1, high_open=True)
    """Adam beta1."""
    beta2: float = bounded(0.99, 0, 1, high_open=True)
    """Adam beta2."""
    adam_eps: float = bounded(1e-8, 0, low_open=True)
    """Adam epsilon."""
    grid_weight_decay: float = bounded(0.0, 0)
    """Weight decay of the grid tables."""
    att_lr_factor: float = bounded(5.0, 0)
    """The audio attention network's learning rate is lr_net times this."""
    att_weight_decay: float = bounded(0.0, 0)
    """Weight decay of the audio attention network."""


@dataclass
class LossConfig(MethodConfig):
    """Loss terms and their weights."""

    photometric: str = one_of("mse", "mse", "l1")
    """"mse" (the references') or "l1"."""
    lambda_entropy: float = bounded(1e-4, 0)
    """Weight of the opacity entropy term."""
    lambda_amb: float = bounded(1e-4, 0)
    """Weight of the ambient loss (audio conditioning outside the face), ramped up linearly over the stage."""
    lambda_lpips: float = bounded(0.01, 0)
    """Weight of LPIPS on the lips' box in the lip stage."""


@dataclass
class AudioConfig(MethodConfig):
    """The audio network over per-frame feature windows."""

    n_mels: int = bounded(80, 1, LOG_MEL_BINS)
    """Mel bands of the log-mel features (the other extractors fix their own input size)."""
    dim: int = bounded(32, 1)
    """Size of the per-frame audio code."""
    attention: bool = True
    """Smooth audio codes over 8 neighbouring frames with AudioAttNet (the references' --att 2)."""
    smooth_lips: bool = False
    """At render, blend each frame's audio code with the previous one's (0.35 / 0.65)."""


@dataclass
class HeadConfig(MethodConfig):
    """The head field's position grid and per-frame inputs."""

    grid: GridSpec = field(default_factory=GridSpec)
    """Position grid (one plane of a tri-plane, or a 3D grid: the model decides)."""
    ind_dim: int = bounded(4, 0)
    """Per-frame latent code size (0: none)."""
    exp_eye: bool = True
    """Condition the head on the expression (eye) input."""
    eye_noise: float = bounded(0.1, 0)
    """Width of the uniform noise added to the training expression values (the references: (rand - 0.5) / 10)."""


@dataclass
class TorsoConfig(MethodConfig):
    """The pose-deformed 2D torso."""

    grid: GridSpec = field(default_factory=lambda: GridSpec(16, 2, 16, 16, 2048))
    """Torso 2D grid."""
    ind_dim: int = bounded(8, 0)
    """Per-frame latent code size (0: none)."""
    shrink: float = bounded(0.8, 0, low_open=True)
    """Torso coordinates are scaled by this before the deformation (room to deform)."""


@dataclass
class NeRFConfig(MethodConfig):
    """Settings every NeRF talking head has; a method's config sets its paper's values as the defaults."""

    device: str = one_of("auto", "auto", "cpu", "cuda")
    """Torch device: "auto" (CUDA when available), "cpu" or "cuda"."""
    threads: int = bounded(0, 0)
    """Torch CPU threads while training and rendering (0: torch's default). The smoke profiles use 1: multi-threaded
    CPU reductions sum in a varying order, which makes reruns differ."""
    audio_features: str = one_of("log-mel", *EXTRACTORS)
    """Audio feature extractor (`talkbench.audio_features`): "log-mel" (offline default), "hubert", "wav2vec",
    "deepspeech" or "syncnet" (the references' features; need their weights installed)."""
    stages: StagesConfig = field(default_factory=StagesConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    occupancy: OccupancyConfig = field(default_factory=OccupancyConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    torso: TorsoConfig = field(default_factory=TorsoConfig)


SMOKE_SCHEDULE: dict[str, int | float | str] = {
    # CPU, under 2 minutes a method at 128 px (so README command 1 fits in five minutes on 2 cores): 4 frames x 256
    # rays per step, nearly all inside the head box and a third on the lips (so the audio-driven mouth is learnt in
    # a short run), a coarse occupancy grid; each method's smoke profile adds its grid sizes. Budgets measured in
    # DESIGN.md ("The smoke budget"): fewer torso steps leave RAD-NeRF's torso unconverged.
    "device": "cpu",
    "threads": 1,  # bit-reproducible runs (NeRFConfig.threads)
    "stages.iters": 600,
    "stages.lips_iters": 100,  # only when the AlexNet weights are installed
    "stages.torso_iters": 400,
    "stages.log_every": 10,
    "sampling.num_rays": 1024,
    "sampling.torso_num_rays": 2048,
    "sampling.frames_per_step": 4,
    "sampling.box_fraction": 0.95,
    "sampling.lips_fraction": 0.3,
    "sampling.num_steps": 16,
    "sampling.max_ray_batch": 8192,
    "occupancy.resolution": 32,
    "occupancy.warmup": 20,
    "occupancy.update_interval": 16,
    "torso.grid.levels": 8,
    "torso.grid.desired_resolution": 256,
}
"""The smoke profiles' shared schedule (overrides of a method's paper defaults)."""

CPU_LONG_SCHEDULE: dict[str, int | float | str] = {
    # CPU, about 25 minutes a method at 256 px on one core: the smoke schedule with five times the head steps, twice
    # the rays per step and three times the learning rates (on real clips the smoke rates leave the head underfit:
    # DESIGN.md, "Real footage"), finer grids. 2000 / 600 steps (17 minutes) lost the lips on a real clip (DESIGN.md).
    **SMOKE_SCHEDULE,
    "stages.iters": 3000,
    "stages.lips_iters": 500,
    "stages.torso_iters": 1000,
    "stages.log_every": 25,
    "sampling.num_rays": 2048,
    "sampling.torso_num_rays": 4096,
    "optim.lr": 3e-2,
    "optim.lr_net": 5e-3,
    "occupancy.resolution": 64,
    "occupancy.warmup": 64,
    "torso.grid.levels": 12,
    "torso.grid.desired_resolution": 512,
}
"""The cpu-long profiles' shared schedule (overrides of a method's paper defaults): clearly closer to the papers than
smoke, still on a CPU."""

TINY_SIZES: dict[str, int] = {
    # A few steps of every stage at sizes a 64 px clip needs: plumbing checks (tests/kit), not quality.
    "stages.iters": 6,
    "stages.lips_iters": 0,
    "stages.torso_iters": 4,
    "stages.log_every": 2,
    "sampling.num_rays": 256,
    "sampling.torso_num_rays": 256,
    "sampling.frames_per_step": 2,
    "sampling.num_steps": 8,
    "sampling.max_ray_batch": 1024,
    "occupancy.resolution": 12,
    "occupancy.warmup": 3,
    "occupancy.update_interval": 3,
    "head.grid.levels": 4,
    "head.grid.desired_resolution": 64,
    "torso.grid.levels": 4,
    "torso.grid.desired_resolution": 64,
}
"""Overrides every method's `tiny` profile applies on top of its smoke profile: seconds on CPU, for the
method-contract tests."""
