"""The NeRF talking-portrait preprocessing of a video card: landmarks, head pose, masks, background, eyes.

`bench data prepare --card NAME --video PATH` conforms the video (25 fps, 16 kHz mono, split; see
`talkbench.prepare.video`) and then runs `preprocess` on its frames, which adds what the NeRF methods
(ER-NeRF, RAD-NeRF, AD-NeRF style) need, under the same keys as the embedded synthetic portrait
(`talkbench.datasets.synthetic`), so a method reads a prepared video and the synthetic clip alike.
`bench data prepare --card NAME --official-dir DIR` imports a directory made by the official
scripts instead (`talkbench.prepare.official_import`).

Passes (each with a progress bar; a failure names the video and, where it is one frame's, the frame)
------------------------------------------------------------------------------------------------
1. **Landmarks** — 68 iBUG points per frame with `talkbench.perception.landmarks.landmarks` (backend
   `mediapipe` by default: the face mesh bundled in its wheel, offline; `fan`: face_alignment's
   2D-FAN-4, the official scripts' landmarks, when its weights are installed). Frames without a face
   are filled by linear interpolation between the neighbouring frames with one (held at the ends)
   and counted in `meta["landmarks"]`. No face in any frame, or more than `max_missing` of the
   frames without one, is an `InputError` naming the video (and the first frames without a face).
2. **Head pose** — `talkbench.face3d.template.fit_head_poses` on the raw landmarks (a generic rigid face
   template fitted by PnP, one focal for the video found by a 1-D search, Savitzky–Golay smoothing;
   frames without a face get an interpolated pose). Its settings, focal and mean reprojection RMSE
   go to `meta["head_pose"]`, the camera to `meta["intrinsics"]`. With `--head-pose 3dmm` the
   morphable-model tracker `talkbench.face3d.tracker.track_face` fits instead (identity per clip,
   expression and pose per frame, focal searched; the model is the installed `bfm2009_3dmm` or
   `--morphable-model FILE.npz`): it adds the annotation `exp_coeffs` and the model and identity
   coefficients to `meta["head_pose"]`.
3. **Person segmentation** — `talkbench.perception.segmentation.person_masks` (mediapipe selfie
   segmentation, bundled in the wheel, offline), probability > 0.5.
4. **Head and torso masks** — the head region of a frame is the union of
   (a) the face-oval polygon (landmarks 0–16, mediapipe's face-oval vertices or FAN's jaw line),
   widened sideways by `side_margin` (default 10 %: ears and hair beside the cheeks), and
   (b) a half-ellipse above the eye line for the cranium and hair: centred between the eye
   centres, its half-width `hair_width` (default 1.4) × the face oval's half-width at the temples
   (landmarks 0 and 16), its height `hair_height` (default 1.3) × the eye-to-chin distance (the
   vertex is about as far above the eyes as the chin is below them — the classical proportion —
   and hair adds to it), tilted with the eye line (head roll);
   intersected with the person mask. Torso = person − head (neck, shoulders, clothes), like the
   official face-parsing's neck + cloth classes. Over-generous extents cost little: whatever falls
   on the background is cut by the person mask; only a head region reaching down onto the
   shoulders would take torso pixels, and the half-ellipse ends at the eye line.
5. **Background** — `talkbench.perception.background.estimate_background(frames, person)` with the person
   masks dilated by 2 % of the frame size (segmentation edges and hair fringes stay out of it).
6. **Eye aspect ratio** — `eye_ratio` [T]: the eye aspect ratio of Soukupová & Čech (2016,
   "Real-Time Eye Blink Detection using Facial Landmarks"), EAR = (‖p2 − p6‖ + ‖p3 − p5‖) /
   (2 ‖p1 − p4‖) with p1…p6 = iBUG 36…41 (image-left eye) and 42…47 (image-right eye): p1, p4 the
   corners, p2, p3 the upper and p6, p5 the lower lid points; the mean of both eyes. About 0.25–0.35
   for an open eye and near 0 when closed (the ER-NeRF family feeds an eye feature like it to the
   network; their official data use OpenFace's AU45 instead — see `official_import`).
7. **Audio features** — talkbench's offline default is a log-mel window per frame, computed by the
   method itself from the clip's audio (`talkbench.audio_features.extractors`): `meta["audio_features"] =
   "log-mel (computed by the method)"`. A precomputed DeepSpeech / HuBERT / wav2vec file
   (`--audio-features FILE.npy`, one row per 25 fps frame, any trailing shape) is stored as the
   annotation `audio_features` and its source recorded; an extractor name instead
   (`--audio-features hubert|wav2vec|deepspeech`) computes them from the clip's audio with the
   installed weights, stored per frame in the official aud_*.npy layout [T, W, D] with the
   extractor's provenance (weights sha256, dims) in `meta["audio_features_source"]`. Stored
   features are for the record and the official layout: the NeRF methods compute their windows
   with their configured extractor (`--set audio_features=hubert`).

What a prepared clip holds (on disk and as the `Clip` that `talkbench.datasets.cards.load_dataset` returns)
-----------------------------------------------------------------------------------------------
    $BENCH_HOME/data/<card>/prepared/          (`talkbench.datasets.cards.prepared_dir`; BENCH_HOME defaults
                                                to the user cache dir, see talkbench.infra.paths)
      clip.json    name, fps, sample_rate, n_train and `meta` (JSON)
      arrays.npz   (numpy, no pickle; `talkbench.io.clip_store`)
        frames            [T,H,W,3] uint8 RGB, 25 fps
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
                            read it with `background_image(clip)`
      eye_ratio, audio_features   what they are / where they came from
      preprocess            the options and the seconds each pass took
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

Helpers for methods: `background_image(clip)` (decoded and resized to the clip's frames; for a clip
without a stored background, such as the synthetic one, it is estimated from the frames and masks)
and `clip_intrinsics(clip)` (scaled when `load_dataset` resized the clip to the profile's size).
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from talkbench.core.errors import BenchError, InputError
from talkbench.core.types import Clip

LEFT_EYE = (36, 37, 38, 39, 40, 41)
"""iBUG indices p1…p6 of the eye on the image's left (the subject's right eye)."""
RIGHT_EYE = (42, 43, 44, 45, 46, 47)
"""iBUG indices p1…p6 of the eye on the image's right."""

AUDIO_FEATURES_DEFAULT = "log-mel (computed by the method)"

HEAD_POSE_CONVENTION = (
    "head->camera rigid transform, metres; camera x right, y down, z forward (OpenCV); head frame of "
    "talkbench.face3d.template.TEMPLATE_68 (x to the image's right in a frontal view, y down, z into the head, "
    "origin near the head's centre); metric scale from the template's 63 mm interpupillary distance"
)
HEAD_POSE_FITS = ("template", "3dmm")
"""Values of `PreprocessOptions.head_pose`."""


def head_pose_convention_3dmm(model_name: str) -> str:
    """meta["head_pose_convention"] of a pose fitted with a morphable model (its head frame and scale)."""
    return ("head->camera rigid transform, metres; camera x right, y down, z forward (OpenCV); head frame of the "
            f"morphable model {model_name!r} (x to the image's right in a frontal view, y down, z into the head; origin "
            "as its description in meta.head_pose.model says); metric scale from the model's mean face")


@dataclass
class PreprocessOptions:
    """Settings of `preprocess` (recorded in `meta["preprocess"]`)."""

    landmarks: str = "mediapipe"
    """Landmark backend: `mediapipe` (offline) or `fan` (needs `bench weights install fan_s3fd / fan_2dfan4`)."""
    max_missing: float = 0.1
    """Largest fraction of frames allowed without a face (they are interpolated)."""
    focal: float | None = None
    """Focal length in pixels; None searches it (`fit_head_poses`)."""
    smooth: int = 7
    """Savitzky–Golay window (frames) of the head-pose smoothing ("3dmm": below 5 turns its smoothness terms off)."""
    head_pose: str = "template"
    """Head-pose fit: `template` (the generic rigid face, `head_pose.fit_head_poses`) or `3dmm` (the morphable
    model tracker `face_tracker.track_face`, with `morphable_model`; adds the annotation `exp_coeffs`)."""
    morphable_model: str | None = None
    """For `3dmm`: a model file in talkbench's format (`talkbench.face3d.morphable_model`), or None for the installed
    `bfm2009_3dmm` (`bench weights install bfm2009_3dmm --from DIR/3DMM_info.npy`)."""
    head_stabilizer: bool = False
    """Also refine the poses with SyncTalk's Head-Sync Stabilizer (`talkbench.methods.synctalk.stabilizer`: flow-tracked rigid face
    points + two-stage bundle adjustment) into the annotation `head_pose_stabilized` (`head_pose` is kept)."""
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
    background_dilate: float = 0.02
    """Dilation of the person masks before estimating the background, fraction of the frame's smaller side."""
    device: str = "cpu"
    """Device of the landmark backend (FAN runs on CUDA when given)."""
    audio_features: str | None = None
    """A precomputed per-frame audio feature file (.npy), an extractor name (hubert, wav2vec, deepspeech:
    computed from the clip's audio with installed weights), or None for the method's own log-mel."""

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready values."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


@dataclass
class Preprocessed:
    """What `preprocess` adds to a clip."""

    annotations: dict[str, np.ndarray]
    meta: dict[str, Any]
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- small pieces


def eye_aspect_ratios(points: np.ndarray) -> np.ndarray:
    """Eye aspect ratio (Soukupová & Čech 2016) of each eye of landmarks [...,68,2] → [..., 2]
    (the eye on the image's left, then the one on its right).

    EAR = (‖p2 − p6‖ + ‖p3 − p5‖) / (2 ‖p1 − p4‖), p1…p6 = iBUG 36…41 and 42…47 (see the module docstring).
    """
    pts = np.asarray(points, np.float64)
    if pts.shape[-2:] != (68, 2):
        raise BenchError(f"eye_aspect_ratio needs landmarks [...,68,2], got {pts.shape}")
    ratios = []
    for eye in (LEFT_EYE, RIGHT_EYE):
        p1, p2, p3, p4, p5, p6 = (pts[..., i, :] for i in eye)
        vertical = np.linalg.norm(p2 - p6, axis=-1) + np.linalg.norm(p3 - p5, axis=-1)
        horizontal = 2.0 * np.linalg.norm(p1 - p4, axis=-1)
        ratios.append(vertical / np.maximum(horizontal, 1e-9))
    return np.stack(ratios, axis=-1)


def eye_aspect_ratio(points: np.ndarray) -> np.ndarray:
    """Mean eye aspect ratio of both eyes of landmarks [...,68,2] → [...] (`eye_aspect_ratios`)."""
    ratios = eye_aspect_ratios(points)
    return 0.5 * (ratios[..., 0] + ratios[..., 1])


def fill_missing(points: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Landmarks [T,68,2] with frames where `found` is False linearly interpolated (held at the ends)."""
    pts = np.asarray(points, np.float64)
    found = np.asarray(found, bool)
    if not found.any():
        raise BenchError("fill_missing: no frame has landmarks")
    t = np.arange(len(pts))
    flat = pts.reshape(len(pts), -1).copy()
    for d in range(flat.shape[1]):
        flat[:, d] = np.interp(t, t[found], flat[found, d])
    return flat.reshape(pts.shape)


def _frame_list(indices: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(i)) for i in indices[:limit])
    return shown + (", …" if len(indices) > limit else "")


def check_faces(found: np.ndarray, source: str, backend: str, max_missing: float) -> None:
    """Raise a one-line InputError naming `source` when no frame, or too large a fraction, has a face."""
    n = len(found)
    missing = np.flatnonzero(~np.asarray(found, bool))
    if len(missing) == n:
        raise InputError(f"{source}: no face found in any of its {n} frames (landmarks: {backend})")
    if len(missing) > max_missing * n:
        raise InputError(f"{source}: no face found in {len(missing)} of {n} frames ({100 * len(missing) / n:.0f} %, more than "
                         f"the {100 * max_missing:g} % allowed; landmarks: {backend}), first at frames {_frame_list(missing)}")


def _face_axes(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre between the eye centres, unit vector along the eye line to the image's right, unit 'up' vector)."""
    left, right = p[36:42].mean(0), p[42:48].mean(0)
    centre = 0.5 * (left + right)
    e = right - left
    e = e / max(float(np.linalg.norm(e)), 1e-9)
    up = np.array([e[1], -e[0]])  # e turned by -90° in image axes (y down): points to the top of the head
    if float((p[8] - centre) @ up) > 0:  # the chin must be below
        up = -up
    return centre, e, up


def head_region(points: np.ndarray, shape: tuple[int, int], hair_width: float = 1.4, hair_height: float = 1.3,
                side_margin: float = 0.1) -> np.ndarray:
    """Bool [H,W] head region of one frame's landmarks [68,2] (before intersecting with the person mask).

    The union of the face oval (landmarks 0–16, widened sideways by `side_margin`) and a half-ellipse
    above the eye line (half-width `hair_width` × the oval's half-width at landmarks 0/16, height
    `hair_height` × the eye-to-chin distance); see the module docstring.
    """
    p = np.asarray(points, np.float64)
    centre, e, up = _face_axes(p)
    oval = p[0:17] - centre
    along, across = oval @ e, oval @ up
    oval = centre + np.outer(along * (1.0 + side_margin), e) + np.outer(across, up)
    half_width = 0.5 * abs(float((p[16] - p[0]) @ e))
    chin = abs(float((p[8] - centre) @ up))
    theta = np.linspace(0.0, np.pi, 49)
    dome = centre + np.outer(hair_width * half_width * np.cos(theta), e) + np.outer(hair_height * chin * np.sin(theta), up)
    mask = np.zeros(shape, np.uint8)
    polys = [np.round(poly * 16).astype(np.int32) for poly in (oval, dome)]
    for poly in polys:
        cv2.fillPoly(mask, [poly], 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def head_torso_masks(points: np.ndarray, person: np.ndarray, options: PreprocessOptions | None = None,
                     desc: str = "head/torso masks") -> tuple[np.ndarray, np.ndarray]:
    """(head_mask, torso_mask) [T,H,W] uint8 0/1 from landmarks [T,68,2] (filled) and person masks [T,H,W] bool."""
    o = options or PreprocessOptions()
    shape = person.shape[1:3]
    head = np.zeros(person.shape, np.uint8)
    torso = np.zeros(person.shape, np.uint8)
    for i in tqdm(range(len(person)), desc=desc, unit="frame", leave=False, disable=None):
        h = head_region(points[i], shape, o.hair_width, o.hair_height, o.side_margin) & person[i]
        head[i] = h
        torso[i] = person[i] & ~h
    return head, torso


def read_feature_array(path: Path) -> np.ndarray:
    """A numeric, non-empty [N, ...] array from a .npy file (no pickles); InputError naming the file otherwise."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        feats = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a numpy .npy array ({exc})") from exc
    if feats.ndim < 1 or feats.dtype.kind not in "fiub" or len(feats) == 0:
        raise InputError(f"{path}: audio features must be a numeric array [N, ...], got {feats.dtype} {feats.shape}")
    return feats


def is_extractor_name(source: str | Path | None) -> bool:
    """True when `--audio-features` names an extractor of `talkbench.audio_features.extractors` (and no such file exists)."""
    from talkbench.audio_features.extractors import EXTRACTORS

    return source is not None and str(source) in EXTRACTORS and not Path(source).is_file()


def compute_audio_features(name: str, audio: np.ndarray, n_frames: int, fps: float = 25.0) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """Features of extractor `name` for each of `n_frames` frames, in the official layout [T, W, D]: (features, meta, notes)."""
    from talkbench.audio_features.extractors import extract

    windows, info = extract(name, audio, n_frames, fps)
    feats = np.ascontiguousarray(windows.transpose(0, 2, 1), np.float32)  # AudioNet's [T, D, W] -> aud_*.npy's [T, W, D]
    meta = {"kind": name, "file": "computed by talkbench.audio_features.extractors", "shape": list(feats.shape), "dtype": "float32",
            "layout": "[T, W, D] per video frame (the official aud_*.npy layout)", "extractor": info}
    return feats, meta, []


def load_audio_features(path: str | Path, n_frames: int, audio: np.ndarray | None = None,
                        fps: float = 25.0) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """A precomputed per-frame feature file [T', ...] conformed to `n_frames` rows, or an extractor's features of `audio`: (features, meta, notes).

    One or two rows more or fewer than the frames (an extractor's rounding at the clip's end) are
    trimmed or repeated with a note; a larger mismatch is an InputError (features must be per 25 fps frame).
    An extractor name (`is_extractor_name`) computes the features from `audio` instead.
    """
    if is_extractor_name(path):
        if audio is None:
            raise BenchError(f"--audio-features {path} computes features from the clip's audio, and none was given")
        return compute_audio_features(str(path), audio, n_frames, fps)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (--audio-features expects a .npy of per-frame features)")
    feats = read_feature_array(path)
    notes = []
    tolerance = 2
    if abs(len(feats) - n_frames) > tolerance:
        raise InputError(f"{path}: {len(feats)} feature rows for {n_frames} frames (one row per 25 fps frame is needed)")
    if len(feats) != n_frames:
        notes.append(f"{path}: {len(feats)} feature rows for {n_frames} frames: "
                     + ("trimmed" if len(feats) > n_frames else "last row repeated"))
        idx = np.minimum(np.arange(n_frames), len(feats) - 1)
        feats = feats[idx]
    stem = path.stem.lower()
    kind = ("DeepSpeech" if "ds" in stem.split("_") or "deepspeech" in stem else
            "HuBERT" if "hu" in stem.split("_") or "hubert" in stem else
            "wav2vec" if "eo" in stem.split("_") or "wav2vec" in stem else "precomputed")
    meta = {"kind": kind, "file": str(path), "shape": list(feats.shape), "dtype": str(feats.dtype),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16]}
    return np.ascontiguousarray(feats, np.float32), meta, notes


# ----------------------------------------------------------------------------- background in meta


def encode_background(image: np.ndarray) -> dict[str, Any]:
    """meta["background"] of an RGB uint8 [H,W,3] image: lossless PNG, base64 (see the module docstring)."""
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise BenchError(f"background must be uint8 [H,W,3], got {img.dtype} {img.shape}")
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2BGR))
    if not ok:
        raise BenchError("background: PNG encoding failed")
    return {"format": "png", "encoding": "base64", "shape": list(img.shape), "data": base64.b64encode(png.tobytes()).decode("ascii")}


def decode_background(entry: Any) -> np.ndarray:
    """The RGB uint8 image of a meta["background"] entry (also accepts a plain nested list / array)."""
    if isinstance(entry, dict):
        if entry.get("format") != "png" or entry.get("encoding") != "base64":
            raise BenchError(f"background: unknown encoding {entry.get('format')}/{entry.get('encoding')}")
        buf = np.frombuffer(base64.b64decode(entry["data"]), np.uint8)
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if img is None:
            raise BenchError("background: damaged PNG data in the clip's meta")
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return np.asarray(entry, np.uint8)


def background_image(clip: Clip) -> np.ndarray:
    """The clip's background [H,W,3] uint8 at its frames' size.

    A prepared or imported clip stores it in `meta["background"]`; otherwise (the synthetic clip) it is
    estimated from the frames and the head/torso masks with `talkbench.perception.background.estimate_background`.
    """
    h, w = clip.resolution
    if "background" in clip.meta:
        img = decode_background(clip.meta["background"])
    elif "head_mask" in clip.annotations and "torso_mask" in clip.annotations:
        from talkbench.perception.background import estimate_background

        person = (clip.annotations["head_mask"] > 0) | (clip.annotations["torso_mask"] > 0)
        img = estimate_background(clip.frames, _dilate(person, PreprocessOptions().background_dilate))
    else:
        raise BenchError(f"clip {clip.name}: no background (prepare it with `bench data prepare`, which estimates one)")
    if img.shape[:2] != (h, w):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if img.shape[0] > h else cv2.INTER_CUBIC)
    return img


def clip_intrinsics(clip: Clip) -> dict[str, float]:
    """meta["intrinsics"] scaled to the clip's frame size (after `load_dataset` resized a prepared clip).

    Scales fx, cx by W'/W and fy, cy by H'/H with pixel centres at integers: c' = (c + 0.5)·s − 0.5.
    """
    if "intrinsics" not in clip.meta:
        raise BenchError(f"clip {clip.name}: no camera intrinsics (prepare it with `bench data prepare`)")
    i = dict(clip.meta["intrinsics"])
    h, w = clip.resolution
    sx, sy = w / float(i["width"]), h / float(i["height"])
    if sx == 1.0 and sy == 1.0:
        return i
    return {"fx": i["fx"] * sx, "fy": i["fy"] * sy, "cx": (i["cx"] + 0.5) * sx - 0.5, "cy": (i["cy"] + 0.5) * sy - 0.5,
            "width": w, "height": h}


def _dilate(masks: np.ndarray, fraction: float) -> np.ndarray:
    r = max(1, int(round(fraction * min(masks.shape[1:3]))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return np.stack([cv2.dilate(m.astype(np.uint8), kernel) > 0 for m in masks])


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


# ----------------------------------------------------------------------------- the pipeline


def preprocess(frames: np.ndarray, source: str, options: PreprocessOptions | None = None,
               audio: np.ndarray | None = None, fps: float = 25.0) -> Preprocessed:
    """Run the passes of the module docstring on uint8 RGB frames [T,H,W,3] of the video `source` (with its 16 kHz `audio`)."""
    from talkbench.face3d.template import fit_head_poses
    from talkbench.perception.segmentation import person_masks
    from talkbench.perception.segmentation import settings as segmentation_settings
    from talkbench.perception.landmarks import landmarks as detect_landmarks

    o = options or PreprocessOptions()
    if not 0.0 <= o.max_missing < 1.0:
        raise BenchError(f"max_missing must be in [0, 1), got {o.max_missing}")
    if is_extractor_name(o.audio_features):  # missing weights or packages: say so before the long passes
        from talkbench.audio_features.extractors import require

        if audio is None:
            raise BenchError(f"--audio-features {o.audio_features} computes features from the clip's audio, and none was given")
        require(str(o.audio_features))
    if o.head_pose not in HEAD_POSE_FITS:
        raise BenchError(f"head_pose must be one of {', '.join(HEAD_POSE_FITS)}, got {o.head_pose!r}")
    model = None
    if o.head_pose == "3dmm":  # a missing model is said before the long passes
        from talkbench.face3d.morphable_model import resolve_morphable_model

        model = resolve_morphable_model(o.morphable_model)
    frames = np.asarray(frames)
    n, h, w = frames.shape[:3]
    seconds: dict[str, float] = {}
    notes: list[str] = []
    annotations: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {}

    t0 = time.perf_counter()
    try:
        track = detect_landmarks(frames, o.landmarks, o.device)
    except BenchError:
        raise
    except Exception as exc:  # a backend's own failure (mediapipe graph, torch): name the video
        raise InputError(f"{source}: landmark detection ({o.landmarks}) failed: {type(exc).__name__}: {exc}") from exc
    found = track.found
    check_faces(found, source, o.landmarks, o.max_missing)
    missing = np.flatnonzero(~found)
    if len(missing):
        notes.append(f"{source}: no face in {len(missing)} of {n} frames (first at frames {_frame_list(missing)}): "
                     "landmarks interpolated from the neighbouring frames")
    points = fill_missing(track.points, found)
    annotations["landmarks"] = points.astype(np.float32)
    meta["landmarks"] = {**track.settings, "frames_without_face": int(len(missing)),
                         "first_frames_without_face": [int(i) for i in missing[:20]],
                         "filled": "linear interpolation between neighbouring frames, held at the ends"}
    seconds["landmarks"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    try:
        if model is not None:
            from talkbench.face3d.tracker import track_face

            fit = track_face(track.points, (h, w), model, focal=o.focal, smooth=o.smooth >= 5, device=o.device)
        else:
            fit = fit_head_poses(track.points, (h, w), focal=o.focal, smooth=o.smooth)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from exc
    annotations["head_pose"] = fit.poses.astype(np.float32)
    meta["intrinsics"] = {k: (float(v) if k in ("fx", "fy", "cx", "cy") else int(v)) for k, v in fit.intrinsics.items()}
    meta["head_pose_convention"] = HEAD_POSE_CONVENTION if model is None else head_pose_convention_3dmm(model.name)
    rmse = fit.rmse[np.isfinite(fit.rmse)]
    meta["head_pose"] = {"fit": "talkbench.face3d.template.fit_head_poses" if model is None else "talkbench.face3d.tracker.track_face",
                         "settings": fit.settings, "focal_px": float(fit.focal),
                         "rmse_px_mean": float(rmse.mean()), "rmse_px_max": float(rmse.max()),
                         "raw_rmse_px_mean": float(np.nanmean(fit.raw_rmse)), "frames_fitted": int(fit.found.sum())}
    if model is not None:
        annotations["exp_coeffs"] = fit.exp_coeffs.astype(np.float32)
        meta["head_pose"].update(model=model.summary(), id_coeffs=[float(v) for v in fit.id_coeffs],
                                 exp_coeffs="annotation exp_coeffs [T,K_exp]: the model's expression coefficients per frame")
    if fit.settings.get("focal_at_bound"):
        notes.append(f"{source}: the focal search ended at its range's bound ({fit.focal:.0f} px): the landmarks say little "
                     "about perspective (a near-orthographic camera is assumed); pass --focal PX if the camera is known")
    seconds["head_pose"] = time.perf_counter() - t0

    if o.head_stabilizer:
        from talkbench.methods.synctalk.stabilizer import StabilizerSettings, stabilize_poses

        t0 = time.perf_counter()
        try:
            stabilized, info = stabilize_poses(frames, points, fit.poses, meta["intrinsics"],
                                               StabilizerSettings(joint_iters=o.stabilizer_iters))
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from exc
        annotations["head_pose_stabilized"] = stabilized.astype(np.float32)
        meta["head_pose_stabilized"] = {"by": "talkbench.methods.synctalk.stabilizer.stabilize_poses (SyncTalk Eq. 7-8)", **info}
        seconds["head_stabilizer"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    person = person_masks(frames, source, threshold=o.segmentation_threshold)
    empty = np.flatnonzero(~person.any(axis=(1, 2)))
    if len(empty):
        notes.append(f"{source}: the person segmentation found nobody in {len(empty)} frames (first at frames {_frame_list(empty)})")
    meta["segmentation"] = {**segmentation_settings(threshold=o.segmentation_threshold), "frames_without_person": int(len(empty))}
    seconds["segmentation"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    annotations["head_mask"], annotations["torso_mask"] = head_torso_masks(points, person, o)
    meta["head_region"] = {"rule": "(face oval widened by side_margin ∪ half-ellipse above the eye line) ∩ person; torso = person − head",
                           "hair_width": o.hair_width, "hair_height": o.hair_height, "side_margin": o.side_margin}
    seconds["masks"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    from talkbench.perception.background import estimate_background

    try:
        background = estimate_background(frames, _dilate(person, o.background_dilate))
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from exc
    meta["background"] = encode_background(np.asarray(background, np.uint8))
    seconds["background"] = time.perf_counter() - t0

    annotations["eye_ratio"] = eye_aspect_ratio(points).astype(np.float32)
    meta["eye_ratio"] = ("eye aspect ratio (Soukupová & Čech 2016), mean of both eyes: "
                         "(|p2-p6| + |p3-p5|) / (2 |p1-p4|), p1..p6 = iBUG 36..41 and 42..47")

    if o.audio_features:
        t0 = time.perf_counter()
        feats, fmeta, fnotes = load_audio_features(o.audio_features, n, audio=audio, fps=fps)
        annotations["audio_features"] = feats
        meta["audio_features"] = f"{fmeta['kind']} ({fmeta['file']})"
        seconds["audio_features"] = time.perf_counter() - t0
        meta["audio_features_source"] = fmeta
        notes += fnotes
    else:
        meta["audio_features"] = AUDIO_FEATURES_DEFAULT
    meta["preprocess"] = {"options": o.to_dict(), "seconds": {k: round(v, 2) for k, v in seconds.items()}}
    return Preprocessed(annotations=annotations, meta=meta, notes=notes)
