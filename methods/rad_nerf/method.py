"""`rad-nerf`: RAD-NeRF (Tang et al., 2022), real-time talking portraits with decomposed audio-spatial encoding.

The head's position goes through a 3D grid; a small MLP maps the spatial feature and the audio
code to a 2D "ambient" coordinate that a separate 2D grid encodes (the decomposed audio-spatial
encoding); density and colour MLPs with a per-frame latent; a 2D torso deformed by an MLP
conditioned on the head pose (Euler angles and translation). Trained in stages like the
reference scripts: head (+ LPIPS lip fine-tuning when the AlexNet weights are installed), then
the torso with the head frozen; at test the audio code is smoothed over time.

Reference: github.com/ashawkey/RAD-NeRF (`main.py`, `nerf/network.py`, `nerf/utils.py`,
`scripts/train_obama_eo.sh`). What talkbench does differently: by default log-mel audio windows
instead of the wav2vec (aud_eo) or DeepSpeech features (`--set audio_features=wav2vec` or
`deepspeech` computes those from installed weights, `talkbench.audio_features.extractors`); pure-PyTorch
stratified sampling with an occupancy grid instead of the CUDA ray marcher; float32 (the references' -O adds fp16 autocast); no EMA of the weights; the
eye value is the landmarks' eye aspect ratio (RAD-NeRF: the eye polygons' area) and at test is
fixed at the training median; the torso's pose code standardised and its deformation starting
at zero (`talkbench.methods.nerf.torso`). Shared machinery: `talkbench.methods.nerf.trainer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from talkbench.methods.nerf.method import NeRFMethod
from talkbench.methods.nerf.trainer import NeRFConfig


@dataclass
class RADNeRFConfig(NeRFConfig):
    """RAD-NeRF settings. Defaults are the public configuration (the `paper` profile); see `RADNeRF.profiles`.

    Fields not listed here are documented on `talkbench.methods.nerf.trainer.NeRFConfig`; RAD-NeRF's head
    grid (`grid_*`) is 3D and tiled.
    """

    iters: int = 200_000
    """Head-stage steps (scripts/train_obama_eo.sh: --iters 200000)."""
    lips_iters: int = 50_000
    """Lip fine-tuning steps (scripts/train_obama_eo.sh: --finetune_lips --iters 250000, i.e. 50k more)."""
    torso_iters: int = 200_000
    """Torso-stage steps (scripts/train_obama_eo.sh: --torso --iters 200000)."""
    lr: float = 5e-3
    """Grid learning rate (main.py --lr)."""
    lr_net: float = 5e-4
    """Network learning rate (main.py --lr_net)."""
    lr_decay: float = 0.1
    """LR factor at the last step (main.py: LambdaLR 0.1 ** (iter / iters))."""
    optimizer: str = "adam"
    """main.py: torch.optim.Adam(..., betas=(0.9, 0.99), eps=1e-15)."""
    beta1: float = 0.9
    """Adam beta1 (main.py)."""
    beta2: float = 0.99
    """Adam beta2 (main.py)."""
    adam_eps: float = 1e-15
    """Adam epsilon (main.py)."""
    grid_weight_decay: float = 0.0
    """Adam without weight decay on the grids (nerf/network.py get_params)."""
    att_weight_decay: float = 0.0
    """AudioAttNet group weight decay (get_params passes wd = 0)."""
    audio_dim: int = 64
    """Audio code size (nerf/network.py: NeRFNetwork(audio_dim=64))."""
    smooth_lips: bool = True
    """Test-time smoothing of the audio code (main.py sets --smooth_lips with --test)."""
    lambda_amb: float = 0.1
    """Ambient-coordinate loss weight outside the face (main.py --lambda_amb)."""
    grid_levels: int = 16
    """3D position grid levels (nerf/network.py: tiledgrid 16 x 2, base 16, 2^16, 2048 * bound)."""
    grid_level_dim: int = 2
    """3D position grid features per level."""
    grid_base_resolution: int = 16
    """3D position grid coarsest resolution."""
    grid_log2_hashmap_size: int = 16
    """3D position grid log2 table rows per level."""
    grid_desired_resolution: int = 2048
    """3D position grid finest resolution (times bound = 1)."""
    ambient_grid_levels: int = 16
    """2D ambient grid levels (nerf/network.py encoder_ambient: tiledgrid 16 x 2, base 16, 2^16, 2048)."""
    ambient_grid_level_dim: int = 2
    """2D ambient grid features per level."""
    ambient_grid_base_resolution: int = 16
    """2D ambient grid coarsest resolution."""
    ambient_grid_log2_hashmap_size: int = 16
    """2D ambient grid log2 table rows per level."""
    ambient_grid_desired_resolution: int = 2048
    """2D ambient grid finest resolution."""


class RADNeRF(NeRFMethod):
    """RAD-NeRF: 3D grid head with a decomposed audio-spatial (ambient) encoding, pose-deformed torso."""

    name = "rad-nerf"
    Config = RADNeRFConfig
    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        # CPU, about 1.5 minutes at 128 px: 4 frames x 256 rays per step, nearly all inside the head box and a
        # third on the lips (so the audio-driven mouth is learnt in a short run), small grids, coarse occupancy grid.
        "smoke": {
            "device": "cpu",
            "threads": 1,  # bit-reproducible runs (NeRFConfig.threads)
            "iters": 1000,
            "lips_iters": 100,  # only when the AlexNet weights are installed
            "torso_iters": 500,
            "num_rays": 1024,
            "torso_num_rays": 2048,
            "frames_per_step": 4,
            "box_fraction": 0.95,
            "lips_fraction": 0.3,
            "num_steps": 12,
            "occupancy_resolution": 32,
            "occupancy_warmup": 20,
            "update_extra_interval": 16,
            # RAD-NeRF's own rates (5e-3 / 5e-4, decaying to 0.1x) leave the head and torso underfit
            # after a thousand steps; ER-NeRF's rates are used for the short schedule.
            "lr": 1e-2,
            "lr_net": 1e-3,
            "grid_levels": 6,
            "grid_log2_hashmap_size": 14,
            "grid_desired_resolution": 128,
            "ambient_grid_levels": 6,
            "ambient_grid_log2_hashmap_size": 14,
            "ambient_grid_desired_resolution": 256,
            "torso_grid_levels": 8,
            "torso_grid_desired_resolution": 256,
            "max_ray_batch": 8192,
            "log_every": 10,
        },
        "paper": {
            "device": "auto",  # CUDA when present
            "iters": 200_000,  # scripts/train_obama_eo.sh: --iters 200000
            "lips_iters": 50_000,  # scripts/train_obama_eo.sh: --finetune_lips --iters 250000 (+50k)
            "torso_iters": 200_000,  # scripts/train_obama_eo.sh: --torso --iters 200000
            "num_rays": 4096 * 16,  # main.py --num_rays
            "torso_num_rays": 4096 * 16,  # main.py --num_rays (the torso run uses the same)
            "frames_per_step": 1,  # nerf/provider.py: one frame per batch
            "box_fraction": 0.0,  # nerf/utils.py get_rays: rays uniform over the frame
            "num_steps": 16,  # main.py --num_steps / --max_steps 16
            "upsample_steps": 0,  # main.py --upsample_steps
            "max_ray_batch": 4096,  # main.py --max_ray_batch
            "min_near": 0.05,  # main.py --min_near
            "occupancy_resolution": 128,  # nerf/renderer.py grid_size
            "density_thresh": 10.0,  # main.py --density_thresh
            "update_extra_interval": 16,  # main.py --update_extra_interval
            "lr": 5e-3,  # main.py --lr
            "lr_net": 5e-4,  # main.py --lr_net
            "lr_decay": 0.1,  # main.py: LambdaLR 0.1 ** (iter / iters)
            "lips_lr_decay": 0.05,  # main.py: LambdaLR 0.05 ** (iter / iters) with --finetune_lips
            "optimizer": "adam",  # main.py: Adam(betas=(0.9, 0.99), eps=1e-15)
            "beta1": 0.9,
            "beta2": 0.99,
            "adam_eps": 1e-15,
            "grid_weight_decay": 0.0,  # nerf/network.py get_params (plain Adam, wd 0)
            "att_lr_factor": 5.0,  # nerf/network.py get_params: audio_att_net lr_net * 5
            "att_weight_decay": 0.0,  # nerf/network.py get_params
            "audio_dim": 64,  # nerf/network.py NeRFNetwork(audio_dim=64)
            "attention": True,  # main.py --att 2
            "smooth_lips": True,  # main.py: --test sets smooth_lips
            "exp_eye": True,  # main.py -O
            "ind_dim": 4,  # main.py --ind_dim
            "ind_dim_torso": 8,  # main.py --ind_dim_torso
            "lambda_amb": 0.1,  # main.py --lambda_amb
            "lambda_entropy": 1e-4,  # nerf/utils.py train_step: 1e-4 * loss_ws
            "lambda_lpips": 0.01,  # nerf/utils.py train_step: 0.01 * LPIPS with --finetune_lips
            "grid_levels": 16,  # nerf/network.py: tiledgrid 3D (16 x 2, base 16, 2^16, 2048 * bound)
            "grid_level_dim": 2,
            "grid_base_resolution": 16,
            "grid_log2_hashmap_size": 16,
            "grid_desired_resolution": 2048,
            "ambient_grid_levels": 16,  # nerf/network.py encoder_ambient: tiledgrid 2D (16 x 2, base 16, 2^16, 2048)
            "ambient_grid_level_dim": 2,
            "ambient_grid_base_resolution": 16,
            "ambient_grid_log2_hashmap_size": 16,
            "ambient_grid_desired_resolution": 2048,
            "torso_grid_levels": 16,  # nerf/network.py: torso tiledgrid(16 x 2, base 16, 2^16, 2048)
            "torso_grid_level_dim": 2,
            "torso_grid_base_resolution": 16,
            "torso_grid_log2_hashmap_size": 16,
            "torso_grid_desired_resolution": 2048,
            "torso_shrink": 0.8,  # main.py --torso_shrink
        },
    }
