"""RAD-NeRF's configuration: the public one is the default (the `paper` profile); sources beside each value."""

from __future__ import annotations

from dataclasses import dataclass, field

from talkbench.methods.nerf.config import AudioConfig, GridSpec, HeadConfig, LossConfig, NeRFConfig, OptimConfig, StagesConfig


@dataclass
class RADNeRFConfig(NeRFConfig):
    """RAD-NeRF settings (github.com/ashawkey/RAD-NeRF: main.py, nerf/network.py, scripts/train_obama_eo.sh); the
    values not set here are the engine's defaults, which RAD-NeRF shares (rays, samples, occupancy, torso)."""

    stages: StagesConfig = field(default_factory=lambda: StagesConfig(iters=200_000, lips_iters=50_000, torso_iters=200_000))
    """train_obama_eo.sh: --iters 200000, --finetune_lips --iters 250000 (+50k), --torso --iters 200000."""
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(
        optimizer="adam", lr=5e-3, lr_net=5e-4, lr_decay=0.1, beta1=0.9, beta2=0.99, adam_eps=1e-15,
        grid_weight_decay=0.0, att_weight_decay=0.0))
    """main.py: Adam(betas=(0.9, 0.99), eps=1e-15), --lr 5e-3, --lr_net 5e-4, LambdaLR 0.1 ** (iter / iters);
    get_params: no weight decay."""
    loss: LossConfig = field(default_factory=lambda: LossConfig(lambda_amb=0.1))
    """main.py --lambda_amb 0.1."""
    audio: AudioConfig = field(default_factory=lambda: AudioConfig(dim=64, smooth_lips=True))
    """nerf/network.py NeRFNetwork(audio_dim=64); main.py sets --smooth_lips with --test."""
    head: HeadConfig = field(default_factory=lambda: HeadConfig(grid=GridSpec(16, 2, 16, 16, 2048)))
    """nerf/network.py: tiledgrid 3D (16 x 2, base 16, 2^16, 2048 x bound)."""
    ambient_grid: GridSpec = field(default_factory=lambda: GridSpec(16, 2, 16, 16, 2048))
    """nerf/network.py encoder_ambient: tiledgrid 2D (16 x 2, base 16, 2^16, 2048)."""
