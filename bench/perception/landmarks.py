"""68-point facial landmarks per frame from two backends: `mediapipe` (offline) and `fan` (the papers').

Both return points in the iBUG 68-point scheme (x, y in pixels of the input frame, NaN where no
face was found), so LMD compares like with like whichever backend produced them.

- `fan`: face_alignment 1.5 2D-FAN-4 with its S3FD detector — the papers' LMD protocol. The model is
  built from talkbench's weights registry (`fan_s3fd`, `fan_2dfan4`) by `talkbench.zoo.fan`, never
  downloaded; `flip_input=False`, as the NeRF papers' preprocessing scripts call it. When several
  faces are found the largest box is used.
- `mediapipe`: the 0.10.21 face mesh bundled in the wheel (`talkbench.zoo.mediapipe.face_mesh`, no
  download), run per frame, one face. Its 468 mesh vertices are mapped to the 68 iBUG points with
  `talkbench.zoo.mediapipe.MESH_TO_IBUG68` (the mapping and its measured accuracy are described there).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from talkbench.core.errors import BenchError
from talkbench.infra.memo import ResultMemo, content_key
from talkbench.core.registry import Registry
from talkbench.zoo import fan
from talkbench.zoo.mediapipe import MESH_TO_IBUG68, face_mesh

MOUTH = tuple(range(48, 68))
"""iBUG indices of the mouth (outer lip 48–59, inner lip 60–67): the LMD protocol's points."""

FACE = tuple(range(68))


@dataclass
class LandmarkTrack:
    """68 landmarks per frame of one video, NaN where no face was found."""

    points: np.ndarray
    """[T, 68, 2] float64, (x, y) pixels."""
    backend: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> np.ndarray:
        """[T] bool: a face was found in the frame."""
        return ~np.isnan(self.points).any(axis=(1, 2))


class LandmarkBackend(Protocol):
    """Something that finds 68 iBUG landmarks in RGB frames."""

    name: str

    def settings(self) -> dict[str, Any]:
        """What defines this backend's output (recorded in every result)."""

    def detect(self, frames: np.ndarray, device: str = "cpu") -> np.ndarray:
        """[T, 68, 2] landmarks of uint8 RGB frames [T, H, W, 3], NaN rows where no face was found."""


class MediaPipeBackend:
    """mediapipe 0.10.21 face mesh, per frame, mapped to the 68 iBUG points."""

    name = "mediapipe"
    min_detection_confidence = 0.5

    def settings(self) -> dict[str, Any]:
        """Version and solution parameters."""
        import mediapipe

        return {"backend": self.name, "mediapipe": mediapipe.__version__, "static_image_mode": True,
                "refine_landmarks": False, "min_detection_confidence": self.min_detection_confidence,
                "mapping": "MESH_TO_IBUG68 (bench/zoo/mediapipe.py)"}

    def detect(self, frames: np.ndarray, device: str = "cpu") -> np.ndarray:
        """Landmarks of each frame; the mesh runs on CPU whatever `device` says."""
        mapping = np.asarray(MESH_TO_IBUG68)
        out = np.full((len(frames), 68, 2), np.nan)
        height, width = frames.shape[1:3]
        with face_mesh(self.min_detection_confidence) as mesh:
            for i, frame in enumerate(tqdm(frames, desc="mediapipe landmarks", unit="frame", leave=False, disable=None)):
                result = mesh.process(np.ascontiguousarray(frame))
                if not result.multi_face_landmarks:
                    continue
                vertices = result.multi_face_landmarks[0].landmark
                xy = np.array([(v.x, v.y) for v in vertices], np.float64)
                out[i] = xy[mapping] * (width, height)
        return out


class FANBackend:
    """face_alignment 1.5 2D-FAN-4 + S3FD, weights from the registry (the papers' LMD landmarks)."""

    name = "fan"

    def settings(self) -> dict[str, Any]:
        """Version, weights and call parameters."""
        import face_alignment

        from talkbench.infra import weights

        return {"backend": self.name, "face_alignment": face_alignment.__version__, "network": "2DFAN-4",
                "detector": "sfd", "flip_input": False,
                "weights": {n: weights.get_entry(n).filename for n in fan.FILES}}

    def detect(self, frames: np.ndarray, device: str = "cpu") -> np.ndarray:
        """Landmarks of the largest detected face in each frame."""
        model = fan.load_fan(device)
        out = np.full((len(frames), 68, 2), np.nan)
        for i, frame in enumerate(tqdm(frames, desc="FAN landmarks", unit="frame", leave=False, disable=None)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "No faces were detected." is counted, not printed
                found, _, boxes = model.get_landmarks_from_image(np.ascontiguousarray(frame), return_bboxes=True)
            if not found:
                continue
            areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]
            out[i] = np.asarray(found[int(np.argmax(areas))], np.float64)[:, :2]
        return out


BACKENDS: Registry[type] = Registry("landmark backend")
BACKENDS.register("mediapipe")(MediaPipeBackend)
BACKENDS.register("fan")(FANBackend)

_TRACKS: ResultMemo[LandmarkTrack] = ResultMemo(capacity=16)


def landmarks(frames: np.ndarray, backend: str = "mediapipe", device: str = "cpu") -> LandmarkTrack:
    """68-point landmarks of every frame; memoised by frame content, so a shared reference runs once."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise BenchError(f"landmarks need uint8 RGB frames [T,H,W,3], got {frames.dtype} {frames.shape}")
    impl = BACKENDS.get(backend)()
    settings = impl.settings()
    key = content_key(frames, settings)
    return _TRACKS.get_or_compute(key, lambda: LandmarkTrack(impl.detect(frames, device), backend, settings))


def clear_cache() -> None:
    """Forget memoised landmark tracks (tests)."""
    _TRACKS.clear()
