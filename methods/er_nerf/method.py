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
own features from installed weights, `talkbench.audio_features`); pure-PyTorch stratified sampling with an occupancy grid instead of the CUDA ray marcher; float32
(the references' -O adds fp16 autocast); no uncertainty-weighted loss, no eye/audio cross loss
and no jitter regulariser of the attention; no EMA of the weights; the eye value at test fixed at
the training median (the test split's blink track is not part of the drive); the torso's pose
code standardised and its deformation starting at zero (`talkbench.methods.nerf.torso`). Shared
machinery: `talkbench.methods.nerf` (the engine).
"""

from __future__ import annotations

from typing import Any, ClassVar

from talkbench.methods.er_nerf.config import ERNeRFConfig
from talkbench.methods.er_nerf.model import ERNeRFModel
from talkbench.methods.nerf.config import CPU_LONG_SCHEDULE, SMOKE_SCHEDULE, TINY_SIZES
from talkbench.methods.nerf.method import NeRFMethod

SMOKE: dict[str, Any] = {
    **SMOKE_SCHEDULE,
    "head.grid.levels": 8,
    "head.grid.base_resolution": 16,
    "head.grid.desired_resolution": 128,
}
"""ER-NeRF's smoke profile (the `paper` profile is `ERNeRFConfig`'s defaults)."""

CPU_LONG: dict[str, Any] = {
    **CPU_LONG_SCHEDULE,
    "head.grid.levels": 12,
    "head.grid.base_resolution": 16,
    "head.grid.desired_resolution": 256,
}
"""ER-NeRF's cpu-long profile: 256 px frames, the paper's 12 grid levels up to the frame's size."""

TINY: dict[str, Any] = {**SMOKE, **TINY_SIZES}
"""The `tiny` profile: seconds on CPU, for the method-contract tests."""


class ERNeRF(NeRFMethod):
    """ER-NeRF: tri-plane hash head with region-aware audio/eye attention, deformable torso."""

    name = "er-nerf"
    Config = ERNeRFConfig
    Model = ERNeRFModel
    profiles: ClassVar[dict[str, dict[str, Any]]] = {"smoke": SMOKE, "lipsync": SMOKE, "cpu-long": CPU_LONG,
                                                              "tiny": TINY}
