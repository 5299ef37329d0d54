"""Passes `segmentation` and `masks`: the person, then the head and torso masks cut from it.

* `segmentation` — `talkbench.perception.segmentation.person_masks` (mediapipe selfie segmentation, bundled in the
  wheel, offline), probability > `segmentation_threshold` (0.5). Provides the transient `person_mask`.
* `masks` — the head region of a frame is the convex hull of
  (a) the face-oval polygon (landmarks 0–16, mediapipe's face-oval vertices or FAN's jaw line), widened
  sideways by `side_margin` (default 10 %: ears and hair beside the cheeks), and
  (b) a half-ellipse above the eye line for the cranium and hair: centred between the eye centres, its
  half-width `hair_width` (default 1.4) × the face oval's half-width at the temples (landmarks 0 and 16),
  its height `hair_height` (default 1.3) × the eye-to-chin distance (the vertex is about as far above the
  eyes as the chin is below them — the classical proportion — and hair adds to it), tilted with the eye
  line (head roll);
  intersected with the person mask (the hull also takes in the hair beside the cheeks, as the references' face
  parsing labels hair as head). Torso = person − head (neck, shoulders, clothes), like the official
  face-parsing's neck + cloth classes. Over-generous extents cost little: whatever falls on the background
  is cut by the person mask; only a head region reaching down onto the shoulders would take torso pixels,
  and the half-ellipse ends at the eye line.
"""

from __future__ import annotations

import cv2
import numpy as np
from tqdm import tqdm

from talkbench.prepare.options import PreprocessOptions
from talkbench.prepare.passes.landmarks import frame_list
from talkbench.prepare.pipeline import AnnotationPass, PassInputs, PassResult


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

    The convex hull of the face oval (landmarks 0–16, widened sideways by `side_margin`) and a half-ellipse
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
    # One convex outline around both: the dome's base is the eye line while the oval's top (landmarks 0 and 16) sits
    # below it on most faces, and filling the two shapes separately left a band between them at eye level, which
    # went to the torso and drew a seam across the head.
    hull = cv2.convexHull(np.round(np.concatenate([oval, dome]) * 16).astype(np.int32))
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [hull], 1, lineType=cv2.LINE_8, shift=4)
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


class SegmentationPass(AnnotationPass):
    """The person in every frame (module docstring)."""

    name = "segmentation"
    provides = frozenset({"person_mask"})
    options = ("segmentation_threshold",)

    def run(self, inputs: PassInputs) -> PassResult:
        """Segment; frames where nobody is found are noted."""
        from talkbench.perception.segmentation import person_masks
        from talkbench.perception.segmentation import settings as segmentation_settings

        threshold = inputs.options.segmentation_threshold
        person = person_masks(inputs.frames, inputs.source, threshold=threshold)
        empty = np.flatnonzero(~person.any(axis=(1, 2)))
        notes = []
        if len(empty):
            notes.append(f"{inputs.source}: the person segmentation found nobody in {len(empty)} frames "
                         f"(first at frames {frame_list(empty)})")
        meta = {"segmentation": {**segmentation_settings(threshold=threshold), "frames_without_person": int(len(empty))}}
        return PassResult(meta=meta, notes=notes, working={"person_mask": person})


class HeadTorsoMasksPass(AnnotationPass):
    """Head and torso masks from the landmarks and the person (module docstring)."""

    name = "masks"
    requires = frozenset({"landmarks", "person_mask"})
    provides = frozenset({"head_mask", "torso_mask"})
    options = ("hair_width", "hair_height", "side_margin")

    def run(self, inputs: PassInputs) -> PassResult:
        """Head = hull(face oval, dome) ∩ person; torso = person − head."""
        o = inputs.options
        head, torso = head_torso_masks(inputs.get("landmarks"), inputs.get("person_mask"), o)
        meta = {"head_region": {"rule": "convex hull(face oval widened by side_margin, half-ellipse above the eye line) ∩ person; "
                                        "torso = person − head",
                                "hair_width": o.hair_width, "hair_height": o.hair_height, "side_margin": o.side_margin}}
        return PassResult(annotations={"head_mask": head, "torso_mask": torso}, meta=meta)
