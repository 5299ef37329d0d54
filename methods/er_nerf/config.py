"""ER-NeRF's configuration: the public one is the default (the `paper` profile); sources beside each value."""

from __future__ import annotations

from dataclasses import dataclass, field

from talkbench.methods.nerf.config import NeRFConfig, OptimConfig


@dataclass
class ERNeRFConfig(NeRFConfig):
    """ER-NeRF settings (github.com/Fictionarry/ER-NeRF). The engine's defaults are ER-NeRF's public values
    (main.py, scripts/train_obama.sh, nerf_triplane/network.py; sources on `NeRFConfig`'s groups); ER-NeRF's head
    grid (`head.grid`) is one plane of the tri-plane:

    * stages: --iters 100000 (head), --finetune_lips to 125000 (+25k), README: --torso --iters 200000;
    * sampling: --num_rays 65536 uniform over one frame (nerf_triplane/provider.py, utils.py get_rays),
      --num_steps 16, --upsample_steps 0, --max_ray_batch 4096, --min_near 0.05;
    * occupancy: grid_size 128 (renderer.py), --density_thresh 10, --update_extra_interval 16;
    * optim: AdamW(betas=(0, 0.99), eps=1e-8), --lr 1e-2, --lr_net 1e-3, LambdaLR 0.5 ** (iter / iters),
      0.05 with --finetune_lips; get_params: audio_att_net at 5 x lr_net with weight decay 1e-4, the grid groups
      set no weight_decay so AdamW's default 0.01 applies;
    * losses: MSE, 1e-4 x opacity entropy, --lambda_amb 1e-4, 0.01 x LPIPS on the lips;
    * audio: NeRFNetwork(audio_dim=32), --att 2, test-time smoothing off (`if opt.test and False`);
    * head: 3 planes x hashgrid(12 levels x 1, base 64, 2^14, 512 x bound), --ind_dim 4, -O sets --exp_eye;
    * torso: tiledgrid(16 x 2, base 16, 2^16, 2048), --ind_dim_torso 8, --torso_shrink 0.8.
    """

    optim: OptimConfig = field(default_factory=lambda: OptimConfig(grid_weight_decay=0.01, att_weight_decay=1e-4))
