"""SyncTalk's configuration: ER-NeRF's (its code base) plus the synchronisation modules, all on."""

from __future__ import annotations

from dataclasses import dataclass

from talkbench.audio_features.registry import EXTRACTORS
from talkbench.core.config import one_of
from talkbench.methods.er_nerf.config import ERNeRFConfig


@dataclass
class SyncTalkConfig(ERNeRFConfig):
    """SyncTalk settings. Its public training settings are ER-NeRF's (main.py: the same lr, lr_net, iterations, rays,
    grids); its own modules are these switches (`--set masked_attention=off`, ...), each recorded in the result."""

    audio_features: str = "syncnet"
    """Lip encoder: SyncNet v2's audio tower (`talkbench.audio_features`, weights syncnet_v2)."""
    audio_fallback: str = one_of("log-mel", *EXTRACTORS, "")
    """Used, and recorded as a fallback in the checkpoint, when the lip encoder's weights are not installed ("": fail)."""
    expression: str = one_of("upper-face", "upper-face", "eye")
    """Facial Animation Capturer: seven upper-face features (main.py --bs_area upper); "eye" = ER-NeRF's eye ratio."""
    masked_attention: bool = True
    """Facial-aware masked attention (utils.py train_step: loss_amb_aud outside / loss_cross inside the lower face)."""
    head_stabilizer: bool = True
    """Use the clip's stabilized poses (`bench data prepare --head-stabilizer`; data_utils/face_tracking/bundle_adjustment.py)."""
    neck_fill: bool = True
    """Portrait-Sync Generator's neck-colour fill of head–torso gaps."""
    portrait: bool = False
    """SyncTalk's Portrait mode: blend the rendered face into the driving video's own frames with a blurred face mask
    (`portrait.portrait_blend`); needs the drive's original frames and is scored as that compositing."""
