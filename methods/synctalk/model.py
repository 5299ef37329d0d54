"""`SyncTalkModel`: ER-NeRF's model with SyncTalk's lip encoder, upper-face expression, masked attention,
stabilized poses and Portrait-Sync post-processing (neck fill, portrait blend)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

from talkbench import audio_features as audio_encoders
from talkbench.core.errors import BenchError, InputError
from talkbench.core.types import Clip, Drive
from talkbench.methods.er_nerf.model import ERNeRFModel
from talkbench.methods.nerf import losses
from talkbench.methods.nerf.head_box import rect_of_points
from talkbench.methods.nerf.postprocess import PostProcess
from talkbench.methods.nerf.sampling import in_rects
from talkbench.methods.synctalk.config import SyncTalkConfig
from talkbench.methods.synctalk.field import SyncTalkField
from talkbench.methods.synctalk.portrait import fill_neck_gap, neck_colour, portrait_blend

if TYPE_CHECKING:
    from talkbench.methods.nerf.data import PreparedClip
    from talkbench.methods.nerf.render import HeadRender

EXPRESSIONS = {"eye": 1, "upper-face": 7}
"""Expression inputs and their sizes (`SyncTalkConfig.expression`)."""
STABILIZED_POSES = "head_pose_stabilized"
"""Annotation of the Head-Sync Stabilizer's poses (`bench data prepare --head-stabilizer`)."""


def lower_face_rects(lms: np.ndarray, height: int, width: int) -> np.ndarray:
    """Per frame [T, 4] (row0, row1, col0, col1): from the nose tip (iBUG 30) down, across the face (SyncTalk's lowface)."""
    rect = rect_of_points(lms, height, width)
    rect[:, 0] = np.clip(np.floor(lms[:, 30, 1]).astype(np.int64), 0, height - 1)
    rect[:, 1] = np.maximum(rect[:, 1], rect[:, 0] + 1)
    return rect


class NeckFill(PostProcess):
    """Portrait-Sync Generator: the chin–torso gap filled with the training frames' mean neck colour."""

    def __init__(self, colour: np.ndarray) -> None:
        self.colour = colour

    def on_float(self, frame: np.ndarray, head_alpha: np.ndarray, torso_alpha: np.ndarray, index: int) -> np.ndarray:
        """The frame with the gap between head and torso filled."""
        return fill_neck_gap(frame, head_alpha, torso_alpha, self.colour)


class PortraitBlend(PostProcess):
    """Portrait mode: the rendered face blended into the driving video's own frame with a blurred face mask."""

    def __init__(self, originals: np.ndarray) -> None:
        self.originals = originals

    def on_image(self, image: np.ndarray, head_alpha: np.ndarray, index: int) -> np.ndarray:
        """The original frame with the rendered face blended in."""
        return portrait_blend(image, np.asarray(self.originals[index]), head_alpha)


class SyncTalkModel(ERNeRFModel):
    """SyncTalk: ER-NeRF's head and torso, made synchronous (Face-Sync Controller, Head-Sync Stabilizer,
    Portrait-Sync Generator)."""

    Config: ClassVar[type[SyncTalkConfig]] = SyncTalkConfig

    def field_class(self) -> type[SyncTalkField]:
        """SyncTalk's field (per-channel attention on the expression features)."""
        return SyncTalkField

    def audio_extractor(self) -> tuple[str, str]:
        """The lip encoder, or `audio_fallback` (recorded) when its weights are not installed."""
        name, fallback = self.cfg.audio_features, self.cfg.audio_fallback
        if not fallback:
            return name, ""
        try:
            audio_encoders.require(name)
        except BenchError as exc:
            return fallback, f"fallback {fallback}: {exc}"
        return name, ""

    def expression_dim(self) -> int:
        """1 (the eye value) or 7 (the upper-face features)."""
        if self.cfg.expression not in EXPRESSIONS:
            raise ValueError(f"expression must be one of {', '.join(EXPRESSIONS)}, not {self.cfg.expression!r}")
        return EXPRESSIONS[self.cfg.expression]

    def expression(self, clip: Clip) -> tuple[np.ndarray | None, str]:
        """The seven upper-face features (`expression.upper_face_features`), or ER-NeRF's eye value."""
        if self.cfg.expression == "upper-face":
            from talkbench.methods.synctalk.expression import upper_face_features

            return upper_face_features(clip.frames, clip.annotations)
        return super().expression(clip)

    def pose_annotation(self, annotations: dict[str, Any]) -> tuple[str, str]:
        """The stabilized poses when asked for and present (synthetic cards carry exact poses and none)."""
        if not self.cfg.head_stabilizer:
            return "head_pose", ""
        if STABILIZED_POSES in annotations:
            return STABILIZED_POSES, ""
        return "head_pose", ("head_stabilizer: the clip has no stabilized poses (synthetic cards carry exact ground-truth "
                             "poses; `bench data prepare --head-stabilizer` adds them to prepared videos): head_pose used")

    def prepare_extras(self, clip: Clip, data: "PreparedClip") -> None:
        """The lower-face rectangles of the masked attention and the neck colour of the neck fill."""
        ann = clip.annotations
        t, h, w, _ = clip.frames.shape
        if self.cfg.masked_attention:
            if "landmarks" not in ann:
                raise InputError(f"clip {clip.name}: masked attention needs landmarks for the lower face: set masked_attention=off")
            lowface = lower_face_rects(np.asarray(ann["landmarks"], np.float64), h, w)
            data.extras["lowface_rect"] = torch.from_numpy(lowface).to(data.frames.device)
        if self.cfg.neck_fill and "landmarks" in ann and "torso_mask" in ann:
            data.meta["neck_colour"] = (neck_colour(clip.frames, np.asarray(ann["landmarks"]), ann["torso_mask"]) / 255.0).tolist()

    def ambient_terms(self, out: "HeadRender", data: "PreparedClip", frames: torch.Tensor, pix: torch.Tensor,
                      ramp: float) -> list[torch.Tensor]:
        """SyncTalk Eq. 4 as its code trains it: the lip (audio) attention only in the lower face, the expression
        attention only outside it; off: ER-NeRF's face-rectangle ambient loss."""
        if not self.cfg.masked_attention:
            return super().ambient_terms(out, data, frames, pix, ramp)
        lower = in_rects(data.extras["lowface_rect"][frames], pix, data.frames.shape[2])
        terms = [ramp * losses.ambient_loss(out.ambient, lower)]
        if out.eye_ambient is not None:
            terms.append(ramp * (out.eye_ambient * lower.to(out.eye_ambient.dtype)).mean())
        return terms

    def checkpoint_extras(self, data: "PreparedClip") -> dict[str, Any]:
        """The poses used and the neck colour."""
        return {**super().checkpoint_extras(data), **{k: data.meta[k] for k in ("neck_colour",) if k in data.meta}}

    def post_processes(self, saved: dict[str, Any], drive: Drive) -> list[PostProcess]:
        """The neck fill (when on and the clip had a neck), then the portrait blend (portrait mode)."""
        cfg = self.cfg
        h, w, n = int(saved["height"]), int(saved["width"]), int(drive.num_frames)
        if cfg.portrait and (drive.original_frames is None or len(drive.original_frames) != n
                             or tuple(drive.original_frames.shape[1:3]) != (h, w)):
            raise InputError(f"portrait compositing needs the drive's original frames at {w}x{h} (self-driven tests only): "
                             "set portrait=off to render the full frame")
        steps: list[PostProcess] = []
        if cfg.neck_fill and saved.get("neck_colour"):
            steps.append(NeckFill(np.asarray(saved["neck_colour"], np.float32)))
        if cfg.portrait:
            steps.append(PortraitBlend(drive.original_frames))
        return steps
