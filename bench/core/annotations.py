"""The annotation schema: every per-frame array (and per-clip meta entry) a Clip may carry, one definition each.

Preprocessing passes declare which of these they `provide` and `require`, methods which they need
(`Capabilities.annotations`); both are checked against this table, so a name means one thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from talkbench.core.errors import InputError
from talkbench.core.types import Clip


@dataclass(frozen=True)
class AnnotationSpec:
    """One annotation: where it lives (per-frame array or clip meta), its layout and what it means."""

    name: str
    layout: str
    """Array layout with T = frames (or the meta entry's form)."""
    description: str
    per_frame: bool = True
    """False for a per-clip entry stored in `Clip.meta` (the camera, the background image)."""
    stored: bool = True
    """False for an intermediate that preparation passes hand each other within one run and never store
    (so a clip never "has" it, and a pass that needs it reruns its provider)."""


ANNOTATIONS: dict[str, AnnotationSpec] = {s.name: s for s in [
    AnnotationSpec("landmarks", "[T,68,2] float32", "68 iBUG points (x, y) in pixels; frames without a face interpolated"),
    AnnotationSpec("head_pose", "[T,4,4] float32", "head->camera rigid transform, metres, OpenCV camera axes"),
    AnnotationSpec("head_pose_stabilized", "[T,4,4] float32", "head_pose refined by SyncTalk's Head-Sync Stabilizer"),
    AnnotationSpec("exp_coeffs", "[T,K] float32", "3DMM expression coefficients of the morphable-model tracker"),
    AnnotationSpec("head_mask", "[T,H,W] uint8 0/1", "the head (face, hair, ears)"),
    AnnotationSpec("torso_mask", "[T,H,W] uint8 0/1", "the person minus the head (neck, shoulders, clothes)"),
    AnnotationSpec("eye_ratio", "[T] float32", "eye aspect ratio (Soukupová & Čech 2016), mean of both eyes"),
    AnnotationSpec("blink", "[T] float32 in [0,1]", "eye closure (synthetic ground truth, or OpenFace AU45 of an official import)"),
    AnnotationSpec("mouth_open", "[T] float32 in [0,1]", "mouth opening (synthetic ground truth)"),
    AnnotationSpec("audio_features", "[T,...] float32", "precomputed per-frame audio features (DeepSpeech/HuBERT/wav2vec layout)"),
    AnnotationSpec("clean_frames", "[T,H,W,3] uint8", "occluder-free frames: the evaluation reference of the wild cards"),
    AnnotationSpec("occluder_mask", "[T,H,W] bool", "where the synthetic transient occluder covers the frame"),
    AnnotationSpec("intrinsics", "{fx, fy, cx, cy, width, height}", "pinhole camera in pixels, pixel centres at integers",
                   per_frame=False),
    AnnotationSpec("background", "PNG in clip.json", "the static background behind the person", per_frame=False),
    AnnotationSpec("landmarks_detected", "[T,68,2] float64", "the landmark backend's own points, NaN where it found no face "
                   "(the head-pose fits read these: a faceless frame gets an interpolated pose)", stored=False),
    AnnotationSpec("person_mask", "[T,H,W] bool", "the person segmentation the head/torso masks and the background are cut from",
                   stored=False),
]}


def spec(name: str) -> AnnotationSpec:
    """The schema entry of `name`; an unknown name is a programming error with the known names."""
    if name not in ANNOTATIONS:
        raise KeyError(f"unknown annotation {name!r} (known: {', '.join(ANNOTATIONS)})")
    return ANNOTATIONS[name]


def has(clip: Clip, name: str) -> bool:
    """Whether the clip carries the annotation (per-frame array or meta entry)."""
    entry = spec(name)
    return name in (clip.annotations if entry.per_frame else clip.meta)


def missing(clip: Clip, names: tuple[str, ...] | list[str]) -> list[str]:
    """Those of `names` the clip lacks."""
    return [n for n in names if not has(clip, n)]


def require(clip: Clip, names: tuple[str, ...] | list[str], who: str) -> None:
    """Refuse a clip without the annotations `who` needs, naming them and the command that adds them."""
    lacking = missing(clip, names)
    if lacking:
        card = clip.meta.get("card")  # set by `bench data prepare` (video or official import); absent on generated clips
        how = (f"`bench data prepare --card {card} --for {who}` adds them to its prepared clip (only the passes that "
               "make them run)" if card else
               f"`bench data prepare --card CARD --video PATH --for {who}` prepares a video with them")
        raise InputError(f"clip {clip.name}: {who} needs the annotations {', '.join(lacking)}, which it does not carry; {how}")
