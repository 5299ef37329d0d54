"""`synctalk`: SyncTalk (Peng et al., CVPR 2024), ER-NeRF's tri-plane head made synchronous.

* **Face-Sync Controller.** Lip features from a lip-sync audio encoder: SyncNet v2's audio tower
  (`audio_features=syncnet`, the `syncnet_v2` weights) when installed; otherwise talkbench's
  log-mel AudioNet, and the result says so (`lip encoder` in the checkpoint's meta; SyncTalk's own
  audio-visual encoder checkpoint is not redistributable here). Expression features from the upper
  face (`talkbench.methods.synctalk.expression`): seven MediaPipe blendshapes when `face_landmarker` is
  installed, landmark-derived brow and eye features otherwise. Facial-aware masked attention (Eq. 4)
  as the reference implements it: the audio attention is penalised outside the lower face (nose tip
  down) and the expression attention inside it (`masked_attention`; off gives ER-NeRF's
  face-rectangle ambient loss only).
* **Head-Sync Stabilizer** (`talkbench.methods.synctalk.stabilizer`): rigid face points tracked with optical
  flow and the two-stage bundle adjustment of Eq. 7–8 refine the rough head poses. As in SyncTalk's
  own pipeline (`data_utils/process.py`) it is a preprocessing step, `bench data prepare
  --head-stabilizer`, applied to every frame, so the training poses and the test split's driving
  poses come from the same fit; `head_stabilizer` (on) makes the method train and render on those
  poses. Synthetic cards carry exact ground-truth poses and no stabilized ones, so there the switch
  changes nothing, and the checkpoint says so (on exact poses the stabilizer only adds tracking
  noise: 1.25° mean change on synthetic-portrait-wild at 128 px).
* **Dynamic Portrait Renderer**: ER-NeRF's tri-plane hash head and deformable torso
  (`talkbench.methods.er_nerf`) on the shared engine; LPIPS lip fine-tuning when the AlexNet weights are installed.
* **Portrait-Sync Generator** (`talkbench.methods.synctalk.portrait`, post-processes of `SyncTalkModel`): the chin–torso gap filled with the mean
  neck colour (`neck_fill`, on), and, with `portrait=on`, the rendered face blended into the driving
  video's own frames with a blurred face mask (SyncTalk's "Portrait" rows). That mode copies
  everything outside the face from the test video, so its image metrics are recorded as the
  compositing variant "portrait blend over the original frames" and are never ranked against full
  renders (the leaderboard says so); the default is the paper's "w/o Portrait" row.

Ablation switches (`--set`): masked_attention, head_stabilizer, expression=eye (ER-NeRF's eye
feature instead of the Facial Animation Capturer), audio_features=log-mel (no lip-sync encoder), neck_fill, portrait=on.
Reference: github.com/ZiqiaoPeng/SyncTalk (`main.py`, `nerf_triplane/`, `data_utils/`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from talkbench.core.method import Capabilities
from talkbench.methods.er_nerf.method import CPU_LONG, SMOKE, TINY
from talkbench.methods.nerf.method import NeRFMethod
from talkbench.methods.synctalk.config import SyncTalkConfig
from talkbench.methods.synctalk.model import STABILIZED_POSES, SyncTalkModel


class SyncTalk(NeRFMethod):
    """SyncTalk: lip-sync audio encoder, upper-face expression, masked attention, head stabilizer, neck fill."""

    name = "synctalk"
    Config = SyncTalkConfig
    Model = SyncTalkModel
    profiles: ClassVar[dict[str, dict[str, Any]]] = {"smoke": dict(SMOKE), "lipsync": dict(SMOKE),
                                                              "cpu-long": dict(CPU_LONG), "tiny": dict(TINY)}
    """SyncTalk's public training settings are ER-NeRF's, so are its smoke and tiny settings."""

    def capabilities(self) -> Capabilities:
        """ER-NeRF's, plus: the stabilized poses first (when on), the drive's own frames in portrait mode, and the
        FaceLandmarker model as an optional weight of the upper-face features."""
        cfg = self.config
        base = super().capabilities()
        portrait = bool(cfg.portrait)  # type: ignore[attr-defined]
        optional = base.optional_weights + (("face_landmarker",) if cfg.expression == "upper-face" else ())  # type: ignore[attr-defined]
        return Capabilities(
            inputs=base.inputs | ({"original_frames"} if portrait else set()),
            annotations=base.annotations,
            poses=(STABILIZED_POSES, "head_pose") if cfg.head_stabilizer else ("head_pose",),  # type: ignore[attr-defined]
            compositing="portrait" if portrait else "full",
            optional_weights=optional, num_gpus=base.num_gpus, cost=base.cost)
