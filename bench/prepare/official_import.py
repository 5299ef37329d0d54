"""Import a talking-portrait directory prepared by the official ER-NeRF / RAD-NeRF / AD-NeRF scripts.

`bench data prepare --card NAME --official-dir DIR` turns such a directory into the card's Clip with
the same annotations as `bench data prepare --video` (`talkbench.prepare.preprocess`; same on-disk layout),
so results on data preprocessed by the papers' own pipeline (BFM face tracking, BiSeNet face parsing,
DeepSpeech/HuBERT features, OpenFace blinks) can be compared with talkbench's offline preprocessing.

What the directory holds (as the official `data_utils/process.py` writes it) and what is read
--------------------------------------------------------------------------------------------
- `transforms_train.json`, `transforms_val.json`: `focal_len`, `cx`, `cy` and `frames`, a list of
  {`img_id`, `aud_id`, `transform_matrix`}. The frames of both files, train first, must be the
  consecutive video frames `a, a+1, …` (the script numbers the 25 fps frames from 0 and puts the
  last 1/11 in val): train ids become talkbench's training prefix (`n_train`), val its test frames.
- `ori_imgs/<img_id>.jpg`: the frames; `ori_imgs/<img_id>.lms` (68 FAN landmarks, "x y" per line)
  when present for every frame, else the landmarks are detected (`--landmarks`, default mediapipe).
- `parsing/<img_id>.png`: the face-parsing colours. Their `face_parsing/test.py` paints with
  `cv2.imwrite`, i.e. in BGR order: head (face parts, hair, hat) BGR (255, 0, 0) — blue when the
  PNG is viewed as RGB —, neck BGR (0, 255, 0) green, clothes BGR (0, 0, 255) — red as RGB —,
  background white. `head_mask` = head; `torso_mask` = neck ∪ clothes (their torso images take the
  neck and the clothes together). A pixel belongs to a class when each channel is on the right side
  of 128 (robust to a lossy re-save).
- `bc.jpg`: the background (BGR JPEG), resized to the frames if needed → `meta["background"]`.
- `aud.wav`: the audio (conformed to 16 kHz mono, sliced from frame `a`'s time, trimmed or padded to
  the frames with a note).
- audio features: `--audio-features FILE` (a path, or a name inside DIR), else the first present of
  `aud_ds.npy` (DeepSpeech, ER-NeRF's default), `aud_hu.npy` (HuBERT), `aud_eo.npy` (wav2vec,
  Esperanto), `aud.npy`; row `aud_id` of each frame (clamped to the last row, as their loader does)
  → annotation `audio_features` (their layout kept, e.g. [T,16,29] DeepSpeech windows). Without any,
  `meta["audio_features"]` says the method computes its own log-mel.
- `au.csv` (OpenFace FeatureExtraction; optional): column `AU45_r` (blink intensity 0–5), row
  `img_id` → annotation `blink` = clip(AU45_r, 0, 2) / 2 in [0, 1], ER-NeRF's own eye feature (and
  the synthetic clip's `blink` range). `eye_ratio` is computed from the landmarks in any case.
- ignored: `gt_imgs/`, `torso_imgs/` (derived from the above), `track_params.pt`.

The pose conversion
-------------------
The official face tracker projects with u = cx − f·X/Z, v = cy + f·Y/Z and keeps the face at Z < 0:
its camera looks down −z with x right and y up — the NeRF/OpenGL camera. Its head frame is the 3DMM's
(BFM 2009: x to the image's right in a frontal view, y up, z out of the face), origin at the mean
shape's centroid; translations are divided by 10 when saved (the tracker's 3DMM is in decimetres,
BFM's micrometres / 1e5), so they are metres. `transform_matrix` = C is camera→head (camera-to-world
with the head as the world), i.e. the inverse of the tracked head→camera [R | t].

talkbench's `head_pose` is head→camera in OpenCV axes (x right, y down, z forward) with the head
frame's y down and z into the head (`talkbench.face3d.template`). Both frames differ from the official
ones by the same axis flip D = diag(1, −1, −1, 1) (camera: x_cv = D x_gl; head: x_bfm = D x_tb), so

    head_pose = D · C⁻¹ · D        and back        C = D · head_pose⁻¹ · D

(`talkbench.geometry.camera.pose_from_opengl` and `pose_to_opengl`).

A frontal face (C = [I | (0, 0, d)], the camera d metres in front of the face) becomes
[I | (0, 0, d)] in talkbench too: no rotation, the head d metres in front of the camera.
(ER-NeRF's loader then permutes axes and scales positions — `nerf_matrix_to_ngp`, scale 4 — for its
own grid; that happens at training time, not in the JSON, and is not talkbench's concern.)

Intrinsics: fx = fy = `focal_len`; their ray generator samples pixel (i, j) at (i + 0.5, j + 0.5),
so their principal point is in pixel-corner coordinates; talkbench puts pixel centres at integers:
cx = `cx` − 0.5, cy = `cy` − 0.5 (the script writes cx = W/2, which becomes (W − 1)/2).
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from talkbench.datasets.cards import get_card, prepared_dir
from talkbench.datasets.clip_meta import encode_background
from talkbench.perception.eyes import eye_aspect_ratio
from talkbench.prepare.options import PreprocessOptions
from talkbench.prepare.passes.audio_features import AUDIO_FEATURES_DEFAULT, read_feature_array
from talkbench.prepare.passes.landmarks import check_faces, fill_missing
from talkbench.prepare.preprocess import content_digest
from talkbench.prepare.video import store_version
from talkbench.core.errors import BenchError, InputError
from talkbench.io.audio import read_audio
from talkbench.core.types import MIN_TEST_FRAMES, Clip, SAMPLE_RATE
from talkbench.geometry import camera

FPS = 25.0
FEATURE_FILES = (("aud_ds.npy", "DeepSpeech"), ("aud_hu.npy", "HuBERT"), ("aud_eo.npy", "wav2vec (Esperanto)"),
                 ("aud.npy", "precomputed (aud.npy)"))
PARSING_CLASSES = {"head": (255, 0, 0), "neck": (0, 255, 0), "torso": (0, 0, 255), "background": (255, 255, 255)}
"""Face-parsing colours as (B, G, R), the order their `cv2.imwrite` stores."""

HEAD_POSE_CONVENTION = (
    "head->camera rigid transform, metres; camera x right, y down, z forward (OpenCV); head frame of the official "
    "3DMM face tracker (BFM 2009) with y and z flipped (x to the image's right in a frontal view, y down, z into the "
    "head), origin at the 3DMM mean shape's centroid; converted from transform_matrix C as D C^-1 D, D = diag(1,-1,-1,1)"
)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"{path}: no such file (an official ER-NeRF/RAD-NeRF/AD-NeRF data directory has "
                         "transforms_train.json and transforms_val.json)")
    try:
        data = json.loads(path.read_text())
        for key in ("focal_len", "cx", "cy", "frames"):
            data[key]
        for f in data["frames"]:
            f["img_id"], f["aud_id"], f["transform_matrix"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not an official transforms file ({type(exc).__name__}: {exc})") from exc
    return data


def _read_image(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    img = cv2.imread(str(path), flags)
    if img is None:
        raise InputError(f"{path}: cannot decode the image")
    return img


def parsing_masks(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(head, torso) bool [H,W] of a face-parsing image read as BGR (torso = neck ∪ clothes)."""
    hi = bgr >= 128

    def cls(colour: tuple[int, int, int]) -> np.ndarray:
        """Pixels whose thresholded colour is `colour` (JPEG-safe: each channel only above or below 128)."""
        want = np.array(colour) >= 128
        return np.all(hi == want, axis=-1)

    return cls(PARSING_CLASSES["head"]), cls(PARSING_CLASSES["neck"]) | cls(PARSING_CLASSES["torso"])


def _read_lms(path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        pts = np.loadtxt(path, dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"{path}: unreadable landmarks ({exc})") from exc
    if pts.shape != (68, 2):
        raise InputError(f"{path}: {pts.shape} landmarks, expected 68 rows of 'x y'")
    return pts


def _read_au45(path: Path, ids: np.ndarray) -> np.ndarray:
    try:
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    if not rows:
        raise InputError(f"{path}: empty")
    header = [h.strip() for h in rows[0]]
    if "AU45_r" not in header:
        raise InputError(f"{path}: no AU45_r column (OpenFace FeatureExtraction output expected)")
    col = header.index("AU45_r")
    values = []
    for r in rows[1:]:
        try:
            values.append(float(r[col]))
        except (IndexError, ValueError) as exc:
            raise InputError(f"{path}: row {len(values) + 2}: bad AU45_r value") from exc
    if ids.max() >= len(values):
        raise InputError(f"{path}: {len(values)} rows, frame {int(ids.max())} needs one (rows are indexed by img_id)")
    return np.asarray(values)[ids]


def import_official(card_name: str, directory: str | Path, out_dir: Path | None = None,
                    options: PreprocessOptions | None = None) -> tuple[Clip, list[str]]:
    """Read an official data directory (see the module docstring) into the card's Clip and store it."""
    o = options or PreprocessOptions()
    card = get_card(card_name)
    if card.kind != "video":
        raise BenchError(f"card {card.name!r} is {card.kind}: it is generated, not prepared from a video")
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{root}: no such directory")
    notes: list[str] = []
    train = _read_json(root / "transforms_train.json")
    val_path = root / "transforms_val.json"
    val = _read_json(val_path) if val_path.is_file() else {"frames": []}
    if not val["frames"]:
        notes.append(f"{val_path}: missing or empty: every frame trains, the test split is empty")
    entries = list(train["frames"]) + list(val["frames"])
    if not train["frames"]:
        raise InputError(f"{root / 'transforms_train.json'}: no frames")
    for key in ("focal_len", "cx", "cy") if val["frames"] else ():
        if abs(float(val[key]) - float(train[key])) > 1e-6:
            raise InputError(f"{val_path}: {key} {val[key]} differs from transforms_train.json's {train[key]}")
    ids = np.array([int(f["img_id"]) for f in entries])
    start = int(ids[0])
    if not np.array_equal(ids, np.arange(start, start + len(ids))):
        bad = int(np.flatnonzero(ids != np.arange(start, start + len(ids)))[0])
        raise InputError(f"{root}: frames must be consecutive, train then val (img_id {start}, {start + 1}, …); "
                         f"entry {bad} has img_id {int(ids[bad])}")
    n = len(ids)
    n_train = len(train["frames"])
    if 0 < n - n_train < MIN_TEST_FRAMES:
        raise InputError(f"{val_path}: {n - n_train} test frames; a test split needs at least {MIN_TEST_FRAMES} (one 5-frame "
                         "SyncNet window): the official scripts put the last 1/11 of a clip in val")

    # frames, parsing masks, landmarks
    frames, head, torso = [], [], []
    lms: list[np.ndarray | None] = []
    for i in tqdm(ids, desc=f"import {root.name}", unit="frame", leave=False, disable=None):
        img = cv2.cvtColor(_read_image(root / "ori_imgs" / f"{i}.jpg"), cv2.COLOR_BGR2RGB)
        if frames and img.shape != frames[0].shape:
            raise InputError(f"{root / 'ori_imgs' / f'{i}.jpg'}: {img.shape[1]}x{img.shape[0]}, the first frame is "
                             f"{frames[0].shape[1]}x{frames[0].shape[0]}")
        frames.append(img)
        parse_path = root / "parsing" / f"{i}.png"
        parse = _read_image(parse_path)
        if parse.shape[:2] != img.shape[:2]:
            raise InputError(f"{parse_path}: {parse.shape[1]}x{parse.shape[0]}, its frame is {img.shape[1]}x{img.shape[0]}")
        hm, tm = parsing_masks(parse)
        head.append(hm)
        torso.append(tm)
        lms.append(_read_lms(root / "ori_imgs" / f"{i}.lms"))
    frames_arr = np.stack(frames)
    h, w = frames_arr.shape[1:3]
    if abs(float(train["cx"]) * 2 - w) > 1 or abs(float(train["cy"]) * 2 - h) > 1:
        notes.append(f"{root / 'transforms_train.json'}: principal point ({train['cx']}, {train['cy']}) is not the "
                     f"centre of the {w}x{h} frames (kept as given)")

    annotations: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"source_dir": str(root), "card": card.name, "notes": notes,
                            "source": "official ER-NeRF/RAD-NeRF/AD-NeRF data directory"}
    if all(p is not None for p in lms):
        points = np.stack(lms)  # type: ignore[arg-type]
        meta["landmarks"] = {"backend": "official (ori_imgs/*.lms, face_alignment FAN)", "frames_without_face": 0}
    else:
        from talkbench.perception.landmarks import landmarks as detect_landmarks

        if any(p is not None for p in lms):
            notes.append(f"{root / 'ori_imgs'}: .lms files for only some frames: all landmarks detected with {o.landmarks}")
        track = detect_landmarks(frames_arr, o.landmarks, o.device)
        check_faces(track.found, str(root), o.landmarks, o.max_missing)
        missing = np.flatnonzero(~track.found)
        points = fill_missing(track.points, track.found)
        meta["landmarks"] = {**track.settings, "frames_without_face": int(len(missing)),
                             "first_frames_without_face": [int(i) for i in missing[:20]]}
    annotations["landmarks"] = points.astype(np.float32)

    # poses and camera
    try:
        c2w = np.array([np.asarray(f["transform_matrix"], np.float64) for f in entries])
    except ValueError as exc:
        raise InputError(f"{root}: transform_matrix entries must be 4x4 ({exc})") from exc
    if c2w.shape != (n, 4, 4) or not np.isfinite(c2w).all():
        raise InputError(f"{root}: transform_matrix entries must be finite 4x4 matrices, got {c2w.shape}")
    annotations["head_pose"] = camera.pose_from_opengl(c2w).astype(np.float32)
    focal = float(train["focal_len"])
    meta["intrinsics"] = {"fx": focal, "fy": focal, "cx": float(train["cx"]) - 0.5, "cy": float(train["cy"]) - 0.5,
                          "width": int(w), "height": int(h)}
    meta["head_pose_convention"] = HEAD_POSE_CONVENTION
    meta["head_pose"] = {"fit": "official 3DMM face tracker (transforms_*.json)", "focal_px": focal,
                         "conversion": "head_pose = D C^-1 D, D = diag(1,-1,-1,1); cx, cy - 0.5 (pixel centres at integers)"}

    annotations["head_mask"] = np.stack(head).astype(np.uint8)
    annotations["torso_mask"] = np.stack(torso).astype(np.uint8)
    meta["segmentation"] = {"backend": "official face parsing (parsing/*.png, BiSeNet)",
                            "classes": "head = BGR(255,0,0); torso = neck BGR(0,255,0) + clothes BGR(0,0,255); background white"}
    bg = cv2.cvtColor(_read_image(root / "bc.jpg"), cv2.COLOR_BGR2RGB)
    if bg.shape[:2] != (h, w):
        notes.append(f"{root / 'bc.jpg'}: {bg.shape[1]}x{bg.shape[0]} resized to the frames' {w}x{h}")
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_AREA)
    meta["background"] = encode_background(bg)

    annotations["eye_ratio"] = eye_aspect_ratio(points).astype(np.float32)
    meta["eye_ratio"] = ("eye aspect ratio (Soukupová & Čech 2016), mean of both eyes: "
                         "(|p2-p6| + |p3-p5|) / (2 |p1-p4|), p1..p6 = iBUG 36..41 and 42..47")
    au = root / "au.csv"
    if au.is_file():
        annotations["blink"] = (np.clip(_read_au45(au, ids), 0.0, 2.0) / 2.0).astype(np.float32)
        meta["blink"] = "OpenFace AU45_r (au.csv), clip(0, 2) / 2: ER-NeRF's eye feature, 1 = closed"
    else:
        notes.append(f"{au}: not found (OpenFace AU45): no `blink` annotation; eye_ratio comes from the landmarks")

    # audio and its features
    wav = root / "aud.wav"
    audio, anotes = read_audio(wav)
    notes += anotes
    spf = SAMPLE_RATE / FPS
    a0, a1 = int(round(start * spf)), int(round((start + n) * spf))
    if len(audio) < a1 - int(spf):
        raise InputError(f"{wav}: audio is {len(audio) / SAMPLE_RATE:.2f} s, the frames need {a1 / SAMPLE_RATE:.2f} s")
    if len(audio) != a1 or a0:
        notes.append(f"{wav}: audio {len(audio) / SAMPLE_RATE:.2f} s cut to frames {start}-{start + n - 1} "
                     f"({(a1 - a0) / SAMPLE_RATE:.2f} s)")
    audio = audio[a0:a1]
    audio = np.pad(audio, (0, max(0, (a1 - a0) - len(audio)))).astype(np.float32)

    feature_file: Path | None = None
    kind = ""
    if o.audio_features:
        feature_file = Path(o.audio_features)
        if not feature_file.is_absolute() and not feature_file.exists():
            feature_file = root / feature_file
        kind = next((k for name, k in FEATURE_FILES if feature_file.name == name), "precomputed")
    else:
        for name, k in FEATURE_FILES:
            if (root / name).is_file():
                feature_file, kind = root / name, k
                break
    if feature_file is not None:
        aud_ids = np.array([int(f["aud_id"]) for f in entries])
        feats = read_feature_array(feature_file)
        if aud_ids.max() >= len(feats):
            notes.append(f"{feature_file}: {len(feats)} rows, aud_id up to {int(aud_ids.max())}: clamped to the last row "
                         "(as the official loader does)")
        annotations["audio_features"] = np.ascontiguousarray(feats[np.minimum(aud_ids, len(feats) - 1)], np.float32)
        meta["audio_features"] = f"{kind} ({feature_file})"
        meta["audio_features_source"] = {"kind": kind, "file": str(feature_file), "shape": list(feats.shape),
                                         "indexed_by": "aud_id",
                                         "sha256": hashlib.sha256(feature_file.read_bytes()).hexdigest()[:16]}
    else:
        meta["audio_features"] = AUDIO_FEATURES_DEFAULT

    want = card.data.get("resolution", {}).get("expected")
    if want and (h, w) != (want, want):
        notes.append(f"{root}: frames are {w}x{h}, the papers used {want}x{want} for {card.name}")
    meta["preprocess"] = {"official_import": True, "options": o.to_dict()}
    meta["content_sha256"] = content_digest(frames_arr, audio, annotations, meta)
    clip = Clip(name=card.name, frames=frames_arr, fps=FPS, audio=audio, annotations=annotations, n_train=n_train, meta=meta)
    notes += store_version(clip, out_dir or prepared_dir(card))
    return clip, notes
