"""MediaPipe networks: the face mesh and the selfie segmentation bundled in the mediapipe 0.10.21 wheel (nothing to
download, so no weights entry), the face mesh's map to the iBUG 68 points, and the Face Landmarker (`face_landmarker`).

The face mesh runs per frame (`static_image_mode=True`, so a frame's landmarks never depend on the
frames before it, and the same frame always gives the same points), one face, `refine_landmarks=False`.

The mesh → iBUG mapping (`MESH_TO_IBUG68`). The 20 mouth points (48–67) follow the lip contours the mesh
shares with the iBUG annotation: outer lip from the left corner clockwise 61, 39, 37, 0 (upper lip
centre), 267, 269, 291 (right corner), 405, 314, 17 (lower lip centre), 84, 181; inner lip
78, 82, 13, 312, 308, 317, 14, 87. Eyes, brows and nose use the mesh vertices at the same
anatomical places; the jaw (0–16) uses face-oval vertices near the iBUG jaw points, chosen as
left/right mirror pairs of the mesh (127/356, 234/454, 93/323, 132/361, 58/288, 172/397,
136/365, 149/378; 152 is the chin) so a frontal face maps to a symmetric jaw — the mesh's oval runs slightly
inside the iBUG jaw line, so `region="face"` LMD from mediapipe is not numerically comparable with FAN's.
Measured on the embedded synthetic portrait at 512 px (50 test frames, against its exact projected
landmarks): the mapped mouth points, each set centred on its mean, are 3.2 px from the ground truth on
average (0.6 % of the frame width), and the inner-lip gap correlates r = 0.97 with the true mouth opening.

The Face Landmarker (a Tasks API `.task` bundle with blendshapes) is not in the wheel: it is the weights entry
`face_landmarker`, used by SyncTalk's expression features.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from talkbench.infra import weights
from talkbench.infra.native_logs import native_stderr_silenced
from talkbench.infra.weights import UNPUBLISHED, WeightsEntry

FACE_LANDMARKER = WeightsEntry(
    name="face_landmarker",
    filename="face_landmarker.task",
    sha256=UNPUBLISHED,
    url="https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/float16/1/face_landmarker.task",
    licence="Apache-2.0 (MediaPipe model card: Face Landmarker with blendshapes)",
    used_by="SyncTalk / WildTalker expression features (7 upper-face blendshapes; landmark fallback otherwise)",
    format="mediapipe-task",
)

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


class QuietGraph:
    """A MediaPipe solution or task whose native logging is silenced from the moment it is built until it is closed
    (`talkbench.infra.native_logs`: its worker threads log during and just after calls). Everything else passes
    through to the graph; use it as a context manager, so the silenced window ends."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._quiet = ExitStack()
        self._quiet.enter_context(native_stderr_silenced())
        try:
            self._graph = build()
        except BaseException:
            self._quiet.close()
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)

    def close(self) -> None:
        """Close the graph, then let fd 2 through again."""
        try:
            self._graph.close()
        finally:
            self._quiet.close()

    def __enter__(self) -> "QuietGraph":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _mediapipe() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # protobuf / absl deprecation chatter at import
        import mediapipe as mp
    return mp


def face_mesh(min_detection_confidence: float = 0.5) -> Any:
    """The bundled face mesh, per frame (static image mode), one face, no refined landmarks; a quiet context manager."""
    mp = _mediapipe()
    return QuietGraph(lambda: mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1, refine_landmarks=False,
        min_detection_confidence=min_detection_confidence))


def selfie_segmentation(model_selection: int) -> Any:
    """The bundled selfie segmentation (0: general/portrait 256×256, 1: landscape 144×256); a quiet context manager."""
    mp = _mediapipe()
    return QuietGraph(lambda: mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=model_selection))


def create_face_landmarker(model_path: Path | None = None) -> Any:
    """A Face Landmarker with blendshapes, one face, IMAGE mode, from `model_path` or the verified `face_landmarker`;
    a quiet context manager."""
    _mediapipe()  # the first import, without its deprecation chatter
    from mediapipe.tasks import python as mp_tasks
    from mediapipe.tasks.python import vision

    path = model_path if model_path is not None else weights.require("face_landmarker")
    options = vision.FaceLandmarkerOptions(base_options=mp_tasks.BaseOptions(model_asset_path=str(path)),
                                           output_face_blendshapes=True, num_faces=1,
                                           running_mode=vision.RunningMode.IMAGE)
    return QuietGraph(lambda: vision.FaceLandmarker.create_from_options(options))
