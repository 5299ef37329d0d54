"""WildTalker's configuration: SyncTalk's plus the MSS audio front end and the temporal mask, both on."""

from __future__ import annotations

from dataclasses import dataclass

from talkbench.core.config import bounded, one_of
from talkbench.methods.synctalk.config import SyncTalkConfig
from talkbench.methods.wildtalker.audio_frontend import NOISE_FROM


@dataclass
class WildTalkerConfig(SyncTalkConfig):
    """WildTalker settings: SyncTalk's switches plus its two modules (`--set mss=off`, `temporal_mask=off`)."""

    mss: bool = True
    """Denoise the training and driving audio with MSS (`talkbench.methods.enhance.mss`, its defaults) before the features."""
    mss_noise_from: str = one_of("training", *NOISE_FROM)
    """Where MSS takes its noise spectrum: "training" (ours, default: the quietest 0.25 s of the training recording,
    kept in the checkpoint and used for the driving audio too), "quietest" (the driving audio's own quietest 0.25 s)
    or "leading" (the paper's assumption: the audio starts with noise only). A self-driven test split cut
    mid-sentence has no noise-only stretch (DESIGN.md: WildTalker's MSS)."""
    temporal_mask: bool = True
    """Weight the torso loss by 1 − M, the flow-guided temporal mask (Eq. 4, 6; `temporal_mask`)."""
    flow_threshold: float = bounded(0.004, 0)
    """θ of the temporal mask: flow magnitude per frame as a fraction of the width."""
