"""Per-clip entries of a Clip's meta that methods read: the background image and the camera intrinsics.

A Clip has no slot for a per-clip (not per-frame) array, so `bench data prepare` keeps the background in
`meta["background"]` as a lossless PNG, base64-encoded (`{"format": "png", "encoding": "base64", "shape":
[H, W, 3], "data": ...}`, see `talkbench.prepare.passes.background`), and the pinhole camera in
`meta["intrinsics"]` (`{fx, fy, cx, cy, width, height}`, pixel centres at integers). `load_dataset` may resize a
prepared clip to a profile's resolution; these helpers return both at the clip's current frame size.
"""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np

from talkbench.core.errors import BenchError
from talkbench.core.types import Clip

BACKGROUND_DILATE = 0.02
"""Dilation of the person masks before estimating a background, as a fraction of the frame's smaller side
(segmentation edges and hair fringes stay out of it): the preparation's default, and what a clip without a
stored background is estimated with."""


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


def dilate_masks(masks: np.ndarray, fraction: float) -> np.ndarray:
    """Bool masks [T,H,W] dilated by an elliptic disc of radius `fraction` × the frame's smaller side (at least 1 px)."""
    r = max(1, int(round(fraction * min(masks.shape[1:3]))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return np.stack([cv2.dilate(m.astype(np.uint8), kernel) > 0 for m in masks])


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
        img = estimate_background(clip.frames, dilate_masks(person, BACKGROUND_DILATE))
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
