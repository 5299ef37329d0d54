"""FAN (Bulat & Tzimiropoulos 2017) as face_alignment 1.5 ships it: 2D-FAN-4 68-point landmarks with its S3FD
detector, built from the two verified files of talkbench's weights cache.

face_alignment would otherwise download both files: the detector's path is passed explicitly, and the torch
hub dir points at the verified cache (where it looks up 2D-FAN-4) only while the model is built.
`flip_input=False`, as the NeRF papers' preprocessing scripts call it. User: the `fan` landmark backend
(`talkbench.perception.landmarks`, the papers' LMD protocol).
"""

from __future__ import annotations

import threading
from typing import Any

from talkbench.infra import weights
from talkbench.infra.weights import TORCH_HUB, WeightsEntry

FAN_S3FD = WeightsEntry(
    name="fan_s3fd",
    filename="s3fd-619a316812.pth",
    sha256="619a316812",
    url="https://www.adrianbulat.com/downloads/python-fan/s3fd-619a316812.pth",
    licence="BSD-3-Clause (face-alignment)",
    used_by="LMD, fan backend: face_alignment's S3FD detector",
    subdir=TORCH_HUB,
)
FAN_2DFAN4 = WeightsEntry(
    name="fan_2dfan4",
    filename="2DFAN4-11f355bf06.pth.tar",
    sha256="11f355bf06",
    url="https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar",
    licence="BSD-3-Clause (face-alignment)",
    used_by="LMD, fan backend: face_alignment 1.5's 2D-FAN-4 68-point landmarks",
    subdir=TORCH_HUB,
)

FILES = ("fan_s3fd", "fan_2dfan4")
"""The weights entries the model is built from (detector, landmark network)."""

_FAN_LOCK = threading.Lock()
_FAN_MODELS: dict[tuple[str, str, str], Any] = {}
"""Built models by (device, detector sha256, network sha256)."""


def load_fan(device: str) -> Any:
    """face_alignment.FaceAlignment (2D, S3FD, no flip) on `device` from the verified files; built once per device and files."""
    import torch

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
