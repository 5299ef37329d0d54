"""`er-nerf`: ER-NeRF (Li et al., ICCV 2023), efficient region-aware radiance fields for talking portraits.

A tri-plane hash encoding of the head (three 2D hash grids), region-aware attention that gates
the audio code and the eye feature by the spatial features, density and colour MLPs with a
per-frame latent, and a pseudo-3D deformable torso conditioned on the head pose through three
learnt anchor points. Trained in stages like the reference scripts: head (+ LPIPS lip
fine-tuning when the AlexNet weights are installed), then the torso with the head frozen.

Reference: github.com/Fictionarry/ER-NeRF (`main.py`, `nerf_triplane/network.py`,
`nerf_triplane/utils.py`, `nerf_triplane/provider.py`, `scripts/train_obama.sh`). What talkbench
does differently: by default log-mel audio windows instead of the DeepSpeech features the paper
evaluates with (`--set audio_features=deepspeech`, `hubert` or `wav2vec` computes the reference's
own features from installed weights, `talkbench.audio_features.extractors`); pure-PyTorch stratified sampling with an occupancy grid instead of the CUDA ray marcher; float32
(the references' -O adds fp16 autocast); no uncertainty-weighted loss, no eye/audio cross loss
and no jitter regulariser of the attention; no EMA of the weights; the eye value at test fixed at
the training median (the test split's blink track is not part of the drive); the torso's pose
code standardised and its deformation starting at zero (`talkbench.methods.nerf.torso`). Shared
machinery: `talkbench.methods.nerf.trainer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from talkbench.methods.nerf.method import NeRFMethod
from talkbench.methods.nerf.trainer import NeRFConfig


@dataclass
class ERNeRFConfig(NeRFConfig):
    """ER-NeRF settings. Defaults are the public configuration (the `paper` profile); see `ERNeRF.profiles`.

    Every field is documented on `talkbench.methods.nerf.trainer.NeRFConfig`; ER-NeRF's head grid is the
    tri-plane (`grid_*` describe one plane).
    """

    iters: int = 100_000
    """Head-stage steps (scripts/train_obama.sh: --iters 100000)."""
    lips_iters: int = 25_000
    """Lip fine-tuning steps (scripts/train_obama.sh: --finetune_lips --iters 125000, i.e. 25k more)."""
    torso_iters: int = 200_000
    """Torso-stage steps (README: --torso --iters 200000)."""
    lr: float = 1e-2
    """Grid learning rate (main.py --lr)."""
    lr_net: float = 1e-3
    """Network learning rate (main.py --lr_net)."""
    lr_decay: float = 0.5
    """LR factor at the last step (main.py: LambdaLR 0.5 ** (iter / iters))."""
    optimizer: str = "adamw"
    """main.py: torch.optim.AdamW(..., betas=(0, 0.99), eps=1e-8)."""
    beta1: float = 0.0
    """Adam beta1 (main.py)."""
    beta2: float = 0.99
    """Adam beta2 (main.py)."""
    adam_eps: float = 1e-8
    """Adam epsilon (main.py)."""
    grid_weight_decay: float = 0.01
    """The grid groups set no weight_decay in get_params, so AdamW's default 0.01 applies (network.py)."""
    att_weight_decay: float = 1e-4
    """AudioAttNet group weight decay (network.py get_params)."""
    audio_dim: int = 32
    """Audio code size (network.py: NeRFNetwork(audio_dim=32))."""
    lambda_amb: float = 1e-4
    """Ambient (audio attention outside the face) loss weight (main.py --lambda_amb)."""


class ERNeRF(NeRFMethod):
    """ER-NeRF: tri-plane hash head with region-aware audio/eye attention, deformable torso."""

    name = "er-nerf"
    Config = ERNeRFConfig
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
            "num_steps": 16,
            "occupancy_resolution": 32,
            "occupancy_warmup": 20,
            "update_extra_interval": 16,
            "grid_levels": 8,
            "grid_base_resolution": 16,
            "grid_desired_resolution": 128,
            "torso_grid_levels": 8,
            "torso_grid_desired_resolution": 256,
            "max_ray_batch": 8192,
            "log_every": 10,
        },
        "paper": {
            "device": "auto",  # CUDA when present
            "iters": 100_000,  # scripts/train_obama.sh: --iters 100000
            "lips_iters": 25_000,  # scripts/train_obama.sh: --iters 125000 --finetune_lips (+25k)
            "torso_iters": 200_000,  # README.md: --torso --iters 200000
            "num_rays": 4096 * 16,  # main.py --num_rays
            "torso_num_rays": 4096 * 16,  # main.py --num_rays (the torso run uses the same)
            "frames_per_step": 1,  # nerf_triplane/provider.py: one frame per batch
            "box_fraction": 0.0,  # nerf_triplane/utils.py get_rays: rays uniform over the frame
            "num_steps": 16,  # main.py --num_steps / --max_steps 16
            "upsample_steps": 0,  # main.py --upsample_steps
            "max_ray_batch": 4096,  # main.py --max_ray_batch
            "min_near": 0.05,  # main.py --min_near
            "occupancy_resolution": 128,  # nerf_triplane/renderer.py grid_size
            "density_thresh": 10.0,  # main.py --density_thresh
            "update_extra_interval": 16,  # main.py --update_extra_interval
            "lr": 1e-2,  # main.py --lr
            "lr_net": 1e-3,  # main.py --lr_net
            "lr_decay": 0.5,  # main.py: LambdaLR 0.5 ** (iter / iters)
            "lips_lr_decay": 0.05,  # main.py: LambdaLR 0.05 ** (iter / iters) with --finetune_lips
            "optimizer": "adamw",  # main.py: AdamW(betas=(0, 0.99), eps=1e-8)
            "beta1": 0.0,
            "beta2": 0.99,
            "adam_eps": 1e-8,
            "grid_weight_decay": 0.01,  # nerf_triplane/network.py get_params: grid groups keep AdamW's default
            "att_lr_factor": 5.0,  # nerf_triplane/network.py get_params: audio_att_net lr_net * 5
            "att_weight_decay": 1e-4,  # nerf_triplane/network.py get_params
            "audio_dim": 32,  # nerf_triplane/network.py NeRFNetwork(audio_dim=32)
            "attention": True,  # main.py --att 2
            "smooth_lips": False,  # main.py: `if opt.test and False` disables the test-time smoothing
            "exp_eye": True,  # main.py -O
            "ind_dim": 4,  # main.py --ind_dim
            "ind_dim_torso": 8,  # main.py --ind_dim_torso
            "lambda_amb": 1e-4,  # main.py --lambda_amb
            "lambda_entropy": 1e-4,  # nerf_triplane/utils.py train_step: 1e-4 * loss_ws
            "lambda_lpips": 0.01,  # nerf_triplane/utils.py train_step: 0.01 * LPIPS with --finetune_lips
            "grid_levels": 12,  # nerf_triplane/network.py: 3 planes x hashgrid(12 levels x 1, base 64, 2^14, 512 * bound)
            "grid_level_dim": 1,
            "grid_base_resolution": 64,
            "grid_log2_hashmap_size": 14,
            "grid_desired_resolution": 512,
            "torso_grid_levels": 16,  # nerf_triplane/network.py: torso tiledgrid(16 x 2, base 16, 2^16, 2048)
            "torso_grid_level_dim": 2,
            "torso_grid_base_resolution": 16,
            "torso_grid_log2_hashmap_size": 16,
            "torso_grid_desired_resolution": 2048,
            "torso_shrink": 0.8,  # main.py --torso_shrink
        },
    }
