"""`WildTalkerModel`: SyncTalk's model on MSS-denoised audio, its torso trained with the flow-guided temporal mask."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

from talkbench.core.types import Clip, Drive
from talkbench.methods.synctalk.model import SyncTalkModel
from talkbench.methods.wildtalker import audio_frontend
from talkbench.methods.wildtalker.config import WildTalkerConfig

if TYPE_CHECKING:
    from talkbench.methods.nerf.data import PreparedClip


class WildTalkerModel(SyncTalkModel):
    """WildTalker: the Denoised Head Renderer (SyncTalk on MSS audio) and the Adaptive Torso Renderer (Eq. 4, 6)."""

    Config: ClassVar[type[WildTalkerConfig]] = WildTalkerConfig

    def noise_reference(self, audio: np.ndarray, sample_rate: int) -> np.ndarray | None:
        """The training recording's quietest stretch (with `mss_noise_from="training"`), kept for every drive."""
        if not self.cfg.mss or self.cfg.mss_noise_from != "training":
            return None
        return audio_frontend.noise_sample(audio, sample_rate)

    def audio_frontend(self, audio: np.ndarray, sample_rate: int, noise: np.ndarray | None = None) -> np.ndarray:
        """MSS-denoised audio when `mss` is on."""
        if not self.cfg.mss:
            return super().audio_frontend(audio, sample_rate, noise)
        return audio_frontend.denoise(audio, sample_rate, self.cfg.mss_noise_from, noise)

    def audio_state(self, noise: np.ndarray | None) -> dict[str, Any]:
        """Whether MSS ran, and the training recording's noise sample render subtracts from the drive."""
        return {"mss": bool(self.cfg.mss), **({"mss_noise": noise.tolist()} if noise is not None else {})}

    def drive_audio(self, saved_audio: dict[str, Any], drive: Drive) -> np.ndarray:
        """The driving audio through the same MSS, with the training recording's noise."""
        if not saved_audio.get("mss"):
            return super().drive_audio(saved_audio, drive)
        noise = np.asarray(saved_audio["mss_noise"], np.float32) if saved_audio.get("mss_noise") is not None else None
        return audio_frontend.denoise(drive.audio, drive.sample_rate, self.cfg.mss_noise_from, noise)

    def prepare_extras(self, clip: Clip, data: "PreparedClip") -> None:
        """SyncTalk's extras, plus the torso-loss weights 1 − M of the temporal mask (one byte per pixel)."""
        super().prepare_extras(clip, data)
        if self.cfg.temporal_mask:
            from talkbench.methods.wildtalker.temporal_mask import TemporalMaskSettings, loss_weights

            head_mask = np.asarray(clip.annotations["head_mask"]).astype(bool)
            weights, data.meta["temporal_mask"] = loss_weights(clip.frames, head_mask,
                                                               TemporalMaskSettings(threshold=self.cfg.flow_threshold))
            data.extras["torso_weight"] = torch.from_numpy(np.round(weights * 255).astype(np.uint8)).to(data.frames.device)

    def torso_ray_weights(self, data: "PreparedClip", frames: torch.Tensor, pix: torch.Tensor) -> torch.Tensor | None:
        """Eq. 6: transient pixels de-emphasised by the temporal mask's weight."""
        weight = data.extras.get("torso_weight")
        if weight is None:
            return None
        t = data.frames.shape[0]
        return weight.reshape(t, -1)[frames[:, None], pix].reshape(-1).float() / 255.0

    def checkpoint_extras(self, data: "PreparedClip") -> dict[str, Any]:
        """SyncTalk's, plus what the temporal mask measured."""
        return {**super().checkpoint_extras(data), **{k: data.meta[k] for k in ("temporal_mask",) if k in data.meta}}
