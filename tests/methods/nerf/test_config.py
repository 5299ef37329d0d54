"""The NeRF configs (methods/nerf/config.py): the paper profiles carry the public configs; paper switches belong to
the methods that have them."""

from __future__ import annotations

import pytest

from talkbench.methods.nerf.config import NeRFConfig
from tests.kit.nerf import tiny_method as _method


def test_paper_profiles_carry_the_public_configs() -> None:
    from talkbench.methods.er_nerf.method import ERNeRF
    from talkbench.methods.rad_nerf.method import RADNeRF

    er, rad = ERNeRF.config_for("paper"), RADNeRF.config_for("paper")
    assert (er.stages.iters, er.stages.lips_iters, er.stages.torso_iters) == (100_000, 25_000, 200_000)
    o = er.optim
    assert (o.lr, o.lr_net, o.optimizer, o.beta1, o.grid_weight_decay, o.att_weight_decay) == (1e-2, 1e-3, "adamw", 0.0, 0.01, 1e-4)
    g = er.head.grid
    assert (g.levels, g.level_dim, g.base_resolution, g.log2_hashmap_size, g.desired_resolution) == (12, 1, 64, 14, 512)
    assert (rad.stages.iters, rad.stages.lips_iters, rad.stages.torso_iters) == (200_000, 50_000, 200_000)
    o = rad.optim
    assert (o.lr, o.lr_net, o.optimizer, o.beta1, o.adam_eps, o.lr_decay) == (5e-3, 5e-4, "adam", 0.9, 1e-15, 0.1)
    g = rad.head.grid
    assert (g.levels, g.level_dim, g.log2_hashmap_size, g.desired_resolution, rad.audio.dim) == (16, 2, 16, 2048, 64)
    assert rad.audio.smooth_lips and rad.loss.lambda_amb == 0.1 and rad.ambient_grid.levels == 16
    assert issubclass(type(er), NeRFConfig) and issubclass(type(rad), NeRFConfig)


def test_switches_belong_to_their_methods() -> None:
    """SyncTalk's and WildTalker's switches live in their configs: ER-NeRF and RAD-NeRF do not know them."""
    from talkbench.core.errors import BenchError

    for switch in ("expression", "masked_attention", "mss", "temporal_mask", "portrait"):
        with pytest.raises(BenchError, match="unknown config field"):
            _method("rad-nerf", **{switch: "on"})
        with pytest.raises(BenchError, match="unknown config field"):
            _method("er-nerf", **{switch: "on"})
