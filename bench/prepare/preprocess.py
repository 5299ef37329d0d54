"""The NeRF talking-portrait preprocessing of a video card: landmarks, head pose, masks, background, eyes.

`bench data prepare --card NAME --video PATH` conforms the video (25 fps, 16 kHz mono, split; see
`talkbench.prepare.video`) and then runs `preprocess` on its frames, which adds what the NeRF methods
(ER-NeRF, RAD-NeRF, AD-NeRF style) need, under the same keys as the embedded synthetic portrait
(`talkbench.datasets.synthetic`), so a method reads a prepared video and the synthetic clip alike.
`bench data prepare --card NAME --official-dir DIR` imports a directory made by the official
scripts instead (`talkbench.prepare.official_import`).

Passes (`talkbench.prepare.pipeline`: registered, each declaring what it requires and provides; a failure names the video)
------------------------------------------------------------------------------------------------
The default prepare asks for `DEFAULT_ANNOTATIONS` (plus `exp_coeffs` with `--head-pose 3dmm`,
`head_pose_stabilized` with `--head-stabilizer`, `audio_features` with `--audio-features`); `--for METHOD`
asks for what the method declares instead. The planner runs, in this order, the passes that make them:
1. **Landmarks** — `talkbench.prepare.passes.landmarks`: 68 iBUG points, faceless frames interpolated.
2. **Head pose** — `talkbench.prepare.passes.head_pose`: the generic template's PnP fit (`--head-pose
   template`, default) or the morphable-model tracker (`--head-pose 3dmm`, adds `exp_coeffs`), with the camera.
   (SyncTalk's Head-Sync Stabilizer, `--head-stabilizer` or `--for synctalk`, refines them next:
   `talkbench.methods.synctalk.stabilizer`.)
3. **Person segmentation** and 4. **head and torso masks** — `talkbench.prepare.passes.masks`.
5. **Background** — `talkbench.prepare.passes.background`.
6. **Eye aspect ratio** — `talkbench.prepare.passes.eyes` (`talkbench.perception.eyes`).
7. **Audio features** — `talkbench.prepare.passes.audio_features` (only with `--audio-features`).

What a prepared clip holds (on disk and as the `Clip` that `talkbench.datasets.cards.load_dataset` returns)
-----------------------------------------------------------------------------------------------
    $BENCH_HOME/data/<card>/prepared/          (`talkbench.datasets.cards.prepared_dir`; BENCH_HOME defaults
                                                to the user cache dir, see talkbench.infra.paths)
      clip.json    name, fps, sample_rate, n_train, num_frames, resolution, how each array is stored, and `meta`
      frames.avi   frames            [T,H,W,3] uint8 RGB, 25 fps, lossless (`talkbench.io.clip_store`)
      arrays.npz   (numpy, deflated, no pickle; masks bit-packed)
        audio             [N] float32, 16 kHz mono
        ann__landmarks    [T,68,2] float32, (x, y) pixels, iBUG order, missing frames interpolated
        ann__head_pose    [T,4,4] float32, head→camera, metres (OpenCV camera axes)
        ann__exp_coeffs   [T,K_exp] float32, the 3DMM expression coefficients, only with --head-pose 3dmm
        ann__head_pose_stabilized [T,4,4] float32, head_pose refined by the Head-Sync Stabilizer, only with --head-stabilizer
        ann__head_mask    [T,H,W] uint8 0/1
        ann__torso_mask   [T,H,W] uint8 0/1 (person minus head)
        ann__eye_ratio    [T] float32, eye aspect ratio
        ann__audio_features  [T,...] float32, only when a feature file or extractor was given (or imported)
        ann__blink        [T] float32 in [0,1], only from an official import with au.csv

    meta (clip.json):
      intrinsics            {fx, fy, cx, cy, width, height} (pixels; pixel centres at integers)
      head_pose_convention  the pose convention, as the synthetic clip states it
      head_pose             fit settings, focal, mean/max reprojection RMSE (px), frames fitted
      landmarks             backend settings, frames_without_face, first missing frames
      segmentation, head_region   their settings
      background            the background image, {"format": "png", "encoding": "base64",
                            "shape": [H, W, 3], "data": ...}: lossless and kept in clip.json
                            because a Clip has no slot for a per-clip (not per-frame) array;
                            read it with `talkbench.datasets.clip_meta.background_image(clip)`
      eye_ratio, audio_features   what they are / where they came from
      quality               what can be measured without ground truth (`talkbench.prepare.quality`): per pose
                            track the reprojection RMSE and the jitter, the tracks' agreement, the masks' IoU
                            against face parsing (when its weights are installed); copied into every run's
                            provenance and report page
      preprocess            the options and the seconds each pass took (with `--for`: the methods
                            it was completed for)
      source_video, source_sha256, content_sha256 (frames + audio + annotations + background:
                            a re-prepared clip with other annotations gets a new training cache)

Measured on the embedded synthetic portrait's video (550 frames written with
`talkbench.io.video.write_video`, H.264 crf 18, then prepared with the defaults; against its ground truth)
-------------------------------------------------------------------------------------------------
                                     smoke 128 px      paper 512 px
    rotation, aligned (mean / max)   2.9° / 8.0°       2.7° / 6.4°
    rotation relative to frame 0     7.3° / 12.7°      5.7° / 10.3°
    rotation, raw                    5.5° / 10.3°      3.6° / 7.3°
    translation, aligned (mean/max)  12 / 56 mm        9 / 28 mm
    translation, raw                 525 mm            2992 mm    (focal 341 vs 256 px; 4096 vs 1024 px)
    head mask IoU (pooled)           0.85              0.83
    torso mask IoU                   0.80              0.79
    person (head ∪ torso) IoU        0.86              0.86
    landmarks vs the true 68 points  2.3 px            8.4 px     (mediapipe's jaw runs inside iBUG's)
    background, mean abs. error      5.0 (pixels ever uncovered; 47 % never are: 27)   5.4 (46 %: 35)
    eye_ratio vs the true blink      r = −0.86         r = −0.91
    wall time (2 CPU cores)          10 s              36 s (26 s of it the background median)

The generic template sees the synthetic head's yaw and pitch only in part (it is a flat ellipsoid
with a photo on it, see `talkbench.face3d.template`), hence the relative-rotation error; the focal is
poorly determined on this clip (at 512 px the search ends at its upper bound, 8 × the frame: a
near-orthographic camera, 3 m away, so the raw translation is off by the scale while the aligned one
is not); a note says so, and `--focal` sets a known focal.

Helpers for methods live with the data they read: `talkbench.datasets.clip_meta.background_image(clip)`
(decoded and resized to the clip's frames; for a clip without a stored background, such as the synthetic
one, it is estimated from the frames and masks), `talkbench.datasets.clip_meta.clip_intrinsics(clip)` (scaled
when `load_dataset` resized the clip to the profile's size) and `talkbench.perception.eyes.eye_aspect_ratio`.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping

import numpy as np

from talkbench.core.annotations import ANNOTATIONS
from talkbench.prepare.options import PreprocessOptions
from talkbench.prepare.passes.audio_features import AUDIO_FEATURES_DEFAULT
from talkbench.prepare.pipeline import Preprocessed, plan, run_plan

__all__ = ["DEFAULT_ANNOTATIONS", "PreprocessOptions", "Preprocessed", "content_digest", "preprocess",
           "requested_annotations"]

DEFAULT_ANNOTATIONS = ("landmarks", "head_pose", "intrinsics", "head_mask", "torso_mask", "background", "eye_ratio")
"""What `bench data prepare` makes without `--for`: what the NeRF methods read, under the synthetic clip's keys."""


def requested_annotations(options: PreprocessOptions, base: Iterable[str] = DEFAULT_ANNOTATIONS) -> tuple[str, ...]:
    """`base` plus what the options ask for: `exp_coeffs` (--head-pose 3dmm), `head_pose_stabilized` (--head-stabilizer)
    and `audio_features` (--audio-features), each after the annotation it comes with so passes keep their order."""
    names = list(dict.fromkeys(base))

    def add(name: str, after: str | None = None) -> None:
        """Insert `name` right after `after` (at the end when that is not asked for), once."""
        if name in names:
            return
        names.insert(names.index(after) + 1 if after in names else len(names), name)

    if options.head_pose == "3dmm":
        add("exp_coeffs", "head_pose")
    if options.head_stabilizer:
        add("head_pose_stabilized", "exp_coeffs" if "exp_coeffs" in names else "head_pose")
    if options.audio_features:
        add("audio_features")
    return tuple(names)


def preprocess(frames: np.ndarray, source: str, options: PreprocessOptions | None = None,
               audio: np.ndarray | None = None, fps: float = 25.0, wanted: Iterable[str] | None = None,
               annotations: Mapping[str, np.ndarray] | None = None, meta: Mapping[str, Any] | None = None) -> Preprocessed:
    """Run the passes that make `wanted` (default: `requested_annotations(options)`) on uint8 RGB frames [T,H,W,3]
    of the video `source` (with its 16 kHz `audio`); with a clip's stored `annotations`/`meta`, only what it lacks."""
    o = options or PreprocessOptions()
    annotations, meta = dict(annotations or {}), dict(meta or {})
    have = [n for n, s in ANNOTATIONS.items() if n in (annotations if s.per_frame else meta)]
    steps = plan(requested_annotations(o) if wanted is None else wanted, have, o)
    done = run_plan(steps, frames, source, o, audio=audio, fps=fps, annotations=annotations, meta=meta,
                    defaults={"audio_features": AUDIO_FEATURES_DEFAULT})
    if done.passes:  # what the passes made, measured (no ground truth on real footage: talkbench.prepare.quality)
        from functools import partial

        from talkbench.prepare.quality import face_parsing_check, preparation_quality

        done.meta["quality"] = preparation_quality({**annotations, **done.annotations}, {**meta, **done.meta}, frames,
                                                   mask_check=partial(face_parsing_check, device=o.device))
    return done


def content_digest(frames: np.ndarray, audio: np.ndarray, annotations: dict[str, np.ndarray], meta: dict[str, Any]) -> str:
    """SHA-256 (16 hex) of frames, audio, annotations (by key) and the stored background."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(frames).tobytes())
    digest.update(np.ascontiguousarray(audio).tobytes())
    for key in sorted(annotations):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(annotations[key]).tobytes())
    if "background" in meta:
        digest.update(str(meta["background"].get("data", "")).encode() if isinstance(meta["background"], dict) else b"")
    return digest.hexdigest()[:16]
