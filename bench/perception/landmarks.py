"""68-point facial landmarks per frame from two backends: `mediapipe` (offline) and `fan` (the papers').

Both return points in the iBUG 68-point scheme (x, y in pixels of the input frame, NaN where no
face was found), so LMD compares like with like whichever backend produced them.

- `fan`: face_alignment 1.5 2D-FAN-4 with its S3FD detector — the papers' LMD protocol. Its two
  files come from talkbench's weights registry (`fan_s3fd`, `fan_2dfan4`); face_alignment would
  otherwise download them, so the torch hub dir points at the verified cache only while the
  model is built. `flip_input=False`, as the NeRF papers' preprocessing scripts call it. When
  several faces are found the largest box is used.
- `mediapipe`: the 0.10.21 face mesh bundled in the wheel (no download), run per frame
  (`static_image_mode=True`, so a frame's landmarks never depend on the frames before it —
  like FAN, and so the same frame always gives the same points), one face,
  `refine_landmarks=False`. Its 468 mesh vertices are mapped to the 68 iBUG points with
  `MESH_TO_IBUG68` below.

The mesh → iBUG mapping. The 20 mouth points (48–67) follow the lip contours the mesh shares
with the iBUG annotation: outer lip from the left corner clockwise 61, 39, 37, 0 (upper lip
centre), 267, 269, 291 (right corner), 405, 314, 17 (lower lip centre), 84, 181; inner lip
78, 82, 13, 312, 308, 317, 14, 87. Eyes, brows and nose use the mesh vertices at the same
anatomical places; the jaw (0–16) uses face-oval vertices near the iBUG jaw points, chosen as
left/right mirror pairs of the mesh (127/356, 234/454, 93/323, 132/361, 58/288, 172/397,
136/365, 149/378; 152 is the chin) so a frontal face maps to a symmetric jaw — the mesh's oval runs slightly inside the iBUG jaw line, so `region="face"` LMD from mediapipe
is not numerically comparable with FAN's. Measured on the embedded synthetic portrait at
512 px (50 test frames, against its exact projected landmarks): the mapped mouth points,
each set centred on its mean, are 3.2 px from the ground truth on average (0.6 % of the
frame width), and the inner-lip gap correlates r = 0.97 with the true mouth opening.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from talkbench.core.errors import BenchError
from talkbench.infra.memo import ResultMemo, content_key
from talkbench.core.registry import Registry

MOUTH = tuple(range(48, 68))
"""iBUG indices of the mouth (outer lip 48–59, inner lip 60–67): the LMD protocol's points."""

FACE = tuple(range(68))

MESH_TO_IBUG68: tuple[int, ...] = (
    # jaw 0-16 (face oval)
    127, 234, 93, 132, 58, 172, 136, 149, 152, 378, 365, 397, 288, 361, 323, 454, 356,
    # right brow 17-21, left brow 22-26
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    # nose bridge 27-30, nostrils 31-35
    168, 197, 5, 4, 75, 97, 2, 326, 305,
    # right eye 36-41, left eye 42-47
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    # outer lip 48-59
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    # inner lip 60-67
    78, 82, 13, 312, 308, 317, 14, 87,
)
"""Face-mesh vertex used for each of the 68 iBUG points (see the module docstring)."""


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
                "mapping": "MESH_TO_IBUG68 (bench/perception/landmarks.py)"}

    def detect(self, frames: np.ndarray, device: str = "cpu") -> np.ndarray:
        """Landmarks of each frame; the mesh runs on CPU whatever `device` says."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import mediapipe as mp

        mapping = np.asarray(MESH_TO_IBUG68)
        out = np.full((len(frames), 68, 2), np.nan)
        height, width = frames.shape[1:3]
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=False,
                                             min_detection_confidence=self.min_detection_confidence) as mesh:
            for i, frame in enumerate(tqdm(frames, desc="mediapipe landmarks", unit="frame", leave=False, disable=None)):
                result = mesh.process(np.ascontiguousarray(frame))
                if not result.multi_face_landmarks:
                    continue
                vertices = result.multi_face_landmarks[0].landmark
                xy = np.array([(v.x, v.y) for v in vertices], np.float64)
                out[i] = xy[mapping] * (width, height)
        return out


_FAN_LOCK = threading.Lock()
_FAN_MODELS: dict[tuple[str, str, str], Any] = {}


class FANBackend:
    """face_alignment 1.5 2D-FAN-4 + S3FD, weights from the registry (the papers' LMD landmarks)."""

    name = "fan"

    def settings(self) -> dict[str, Any]:
        """Version, weights and call parameters."""
        import face_alignment

        from talkbench.infra import weights

        return {"backend": self.name, "face_alignment": face_alignment.__version__, "network": "2DFAN-4",
                "detector": "sfd", "flip_input": False,
                "weights": {n: weights.get_entry(n).filename for n in ("fan_s3fd", "fan_2dfan4")}}

    def _model(self, device: str) -> Any:
        import torch

        from talkbench.infra import weights
        from talkbench.infra.torchvision_compat import import_torchvision

        detector, detector_sha = weights.verified("fan_s3fd")
        network, network_sha = weights.verified("fan_2dfan4")  # raises WeightsMissing with the install command
        key = (device, detector_sha, network_sha)
        with _FAN_LOCK:
            if key in _FAN_MODELS:
                return _FAN_MODELS[key]
            import_torchvision()
            import face_alignment

            previous = getattr(torch.hub, "_hub_dir", None)
            # face_alignment looks up (and would download) 2DFAN-4 in <hub dir>/checkpoints.
            torch.hub.set_dir(str(network.parent.parent))
            try:
                model = face_alignment.FaceAlignment(
                    face_alignment.LandmarksType.TWO_D, device=device, flip_input=False, face_detector="sfd",
                    face_detector_kwargs={"path_to_detector": str(detector)}, compile=False)
            finally:
                torch.hub._hub_dir = previous
            _FAN_MODELS[key] = model
            return model

    def detect(self, frames: np.ndarray, device: str = "cpu") -> np.ndarray:
        """Landmarks of the largest detected face in each frame."""
        model = self._model(device)
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
