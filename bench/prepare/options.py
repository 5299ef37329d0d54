"""The settings of the preparation passes (`bench data prepare` flags), recorded in `meta["preprocess"]["options"]`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from talkbench.datasets.clip_meta import BACKGROUND_DILATE

HEAD_POSE_FITS = ("template", "3dmm")
"""Values of `PreprocessOptions.head_pose`: the passes `head_pose_template` and `head_pose_3dmm`."""


@dataclass
class PreprocessOptions:
    """Settings of the preparation passes (recorded in `meta["preprocess"]`); each pass names the fields it reads."""

    landmarks: str = "mediapipe"
    """Landmark backend: `mediapipe` (offline) or `fan` (needs `bench weights install fan_s3fd / fan_2dfan4`)."""
    max_missing: float = 0.1
    """Largest fraction of frames allowed without a face (they are interpolated)."""
    focal: float | None = None
    """Focal length in pixels; None searches it (`fit_head_poses`)."""
    smooth: int = 7
    """Savitzky–Golay window (frames) of the head-pose smoothing ("3dmm": below 5 turns its smoothness terms off)."""
    head_pose: str = "template"
    """Head-pose fit: `template` (the generic rigid face, `talkbench.face3d.template.fit_head_poses`) or `3dmm` (the
    morphable-model tracker `talkbench.face3d.tracker.track_face`, with `morphable_model`; adds the annotation `exp_coeffs`)."""
    morphable_model: str | None = None
    """For `3dmm`: a model file in talkbench's format (`talkbench.face3d.morphable_model`), or None for the installed
    `bfm2009_3dmm` (`bench weights install bfm2009_3dmm --from DIR/3DMM_info.npy`)."""
    head_stabilizer: bool = False
    """Also ask for `head_pose_stabilized`: SyncTalk's Head-Sync Stabilizer (`talkbench.methods.synctalk.stabilizer`: flow-tracked
    rigid face points + two-stage bundle adjustment) refines the poses (`head_pose` is kept)."""
    stabilizer_iters: int = 8000
    """Joint bundle-adjustment steps of the stabilizer (the reference's 8000)."""
    hair_width: float = 1.4
    """Half-width of the head's upper half-ellipse, in face-oval half-widths."""
    hair_height: float = 1.3
    """Height of the head's upper half-ellipse above the eye line, in eye-to-chin distances."""
    side_margin: float = 0.1
    """Sideways widening of the face oval (fraction of each point's distance from the face's axis)."""
    segmentation_threshold: float = 0.5
    """Person probability threshold of the selfie segmentation."""
    background_dilate: float = BACKGROUND_DILATE
    """Dilation of the person masks before estimating the background, fraction of the frame's smaller side."""
    device: str = "cpu"
    """Device of the landmark backend (FAN runs on CUDA when given)."""
    audio_features: str | None = None
    """A precomputed per-frame audio feature file (.npy), an extractor name (hubert, wav2vec, deepspeech:
    computed from the clip's audio with installed weights), or None for the method's own log-mel."""

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready values."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> "PreprocessOptions":
        """Options from a recorded `to_dict()` (unknown keys, from another talkbench version, are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in known})
