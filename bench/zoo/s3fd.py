"""S3FD (Zhang et al. 2017) face detector as redistributed with syncnet_python: its weights, the detector, and the
call joonson/syncnet_python's `run_pipeline.py` makes (RGB frame, image scale 0.25, confidence > 0.9, NMS 0.1).

The network is the `syncnet-python` package's `detectors.s3fd.S3FDNet`, loaded strictly from the verified
`sfd_face` file and wrapped in its `S3FD` detector. User: the LSE metrics' face tracks (`talkbench.metrics.sync`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from talkbench.infra.devices import resolve_device
from talkbench.infra.weights import UNPUBLISHED, WeightsEntry
from talkbench.zoo.cache import cached, load_strict

SFD_FACE = WeightsEntry(
    name="sfd_face",
    filename="sfd_face.pth",
    sha256=UNPUBLISHED,
    url="https://www.robots.ox.ac.uk/~vgg/software/lipsync/data/sfd_face.pth",
    licence="S3FD face detector weights as redistributed by syncnet_python; research use",
    used_by="LSE-C / LSE-D face detection (S3FD, scale 0.25)",
)

FACEDET_SCALE = 0.25
FACEDET_CONF = 0.9
S3FD_MIN_INPUT = 28
"""Smallest side (px, after the 0.25 scaling) S3FDNet's deepest pooling layers accept: frames need >= 110 px."""


def _build_s3fd(device: str) -> Any:
    from syncnet_python.detectors.s3fd import S3FD
    from syncnet_python.detectors.s3fd.nets import S3FDNet

    net = load_strict("sfd_face", S3FDNet(device=device))
    return S3FD(net=net, device=device)


def load_face_detector(device: str = "cpu") -> tuple[Any, str]:
    """(syncnet_python's S3FD wrapper on `device`, file sha256), cached per device and file."""
    return cached("sfd_face", resolve_device(device), _build_s3fd)


def s3fd_detect(detector: Any, image_rgb: np.ndarray) -> np.ndarray:
    """[K, 5] face boxes of one RGB frame: S3FD at scale 0.25, confidence > 0.9, as run_pipeline.py runs it."""
    boxes = detector.detect_faces(image_rgb, conf_th=FACEDET_CONF, scales=[FACEDET_SCALE])
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
