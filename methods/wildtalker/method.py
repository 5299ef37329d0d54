"""`wildtalker`: WildTalker (ECCV 2024 workshop), SyncTalk's head driven by MSS-denoised audio, with a
flow-guided temporal mask on the torso loss.

* **MSS audio front end**: the training and the driving audio pass through the speech track's
  Multi-scale Spectral Subtraction denoiser (`talkbench.methods.enhance.mss`, its default scales) before the
  lip features are computed (`mss`). The paper estimates the noise from the initial frames; a
  self-driven test split starts mid-sentence and has no noise-only stretch, so talkbench keeps the
  training recording's quietest 0.25 s in the checkpoint and subtracts that noise from the training
  and the driving audio alike (`mss_noise_from=training`; `quietest` uses the driving audio's own
  quietest stretch, `leading` is the paper's assumption). Measured on synthetic-portrait-wild:
  denoised on its own, the 2 s test audio gave the trained model's mouth box 19.9 dB PSNR, the same
  audio denoised with the recording's noise 26.7 dB.
* **Denoised Head Renderer**: SyncTalk's Face-Sync Controller and Head-Sync Stabilizer
  (`talkbench.methods.synctalk.method`) on ER-NeRF's tri-plane hash head.
* **Adaptive Torso Renderer**: the pseudo-3D deformable torso trained with the flow-guided temporal
  mask of Eq. 4 as a per-ray weight of its loss (Eq. 6; `talkbench.methods.wildtalker.temporal_mask`, whose
  docstring lists the choices the paper left open). Optical flow is used in training only.
* **Lip fine-tuning** with LPIPS on patches (Eq. 7) when the AlexNet weights are installed.

Ablation switches (`--set`): mss, mss_noise_from, temporal_mask, head_stabilizer, masked_attention, expression,
audio_features.
"""

from __future__ import annotations

from typing import Any, ClassVar

from talkbench.methods.synctalk.method import SyncTalk
from talkbench.methods.wildtalker.config import WildTalkerConfig
from talkbench.methods.wildtalker.model import WildTalkerModel


class WildTalker(SyncTalk):
    """WildTalker: SyncTalk's head on MSS-denoised audio, torso trained with a flow-guided temporal mask."""

    name = "wildtalker"
    Config = WildTalkerConfig
    Model = WildTalkerModel
    profiles: ClassVar[dict[str, dict[str, Any]]] = {k: dict(v) for k, v in SyncTalk.profiles.items()}
