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
`deepspeech` computes those from installed weights, `talkbench.audio_features`); pure-PyTorch
stratified sampling with an occupancy grid instead of the CUDA ray marcher; float32 (the references' -O adds fp16 autocast); no EMA of the weights; the
eye value is the landmarks' eye aspect ratio (RAD-NeRF: the eye polygons' area) and at test is
fixed at the training median; the torso's pose code standardised and its deformation starting
at zero (`talkbench.methods.nerf.torso`). Shared machinery: `talkbench.methods.nerf` (the engine).
"""

from __future__ import annotations

from typing import Any, ClassVar

from talkbench.methods.nerf.config import CPU_LONG_SCHEDULE, SMOKE_SCHEDULE, TINY_SIZES
from talkbench.methods.nerf.method import NeRFMethod
from talkbench.methods.rad_nerf.config import RADNeRFConfig
from talkbench.methods.rad_nerf.model import RADNeRFModel

SMOKE: dict[str, Any] = {
    **SMOKE_SCHEDULE,
    "sampling.num_steps": 12,
    # RAD-NeRF's own rates (5e-3 / 5e-4, decaying to 0.1x) leave the head and torso underfit
    # after a thousand steps; ER-NeRF's rates are used for the short schedule.
    "optim.lr": 1e-2,
    "optim.lr_net": 1e-3,
    "head.grid.levels": 6,
    "head.grid.log2_hashmap_size": 14,
    "head.grid.desired_resolution": 128,
    "ambient_grid.levels": 6,
    "ambient_grid.log2_hashmap_size": 14,
    "ambient_grid.desired_resolution": 256,
}
"""RAD-NeRF's smoke profile (the `paper` profile is `RADNeRFConfig`'s defaults)."""

CPU_LONG: dict[str, Any] = {
    **CPU_LONG_SCHEDULE,
    "sampling.num_steps": 12,
    "head.grid.levels": 10,
    "head.grid.log2_hashmap_size": 16,
    "head.grid.desired_resolution": 256,
    "ambient_grid.levels": 8,
    "ambient_grid.log2_hashmap_size": 14,
    "ambient_grid.desired_resolution": 256,
}
"""RAD-NeRF's cpu-long profile: 256 px frames, finer 3D grids (its paper grids are 2^19 rows: too slow on a CPU)."""

TINY: dict[str, Any] = {**SMOKE, **TINY_SIZES, "ambient_grid.levels": 4, "ambient_grid.desired_resolution": 64}
"""The `tiny` profile: the engine's tiny sizes on RAD-NeRF's smoke settings, plus a small ambient grid."""


class RADNeRF(NeRFMethod):
    """RAD-NeRF: 3D grid head with a decomposed audio-spatial (ambient) encoding, pose-deformed torso."""

    name = "rad-nerf"
    Config = RADNeRFConfig
    Model = RADNeRFModel
    profiles: ClassVar[dict[str, dict[str, Any]]] = {"smoke": SMOKE, "lipsync": SMOKE, "cpu-long": CPU_LONG,
                                                              "tiny": TINY}
