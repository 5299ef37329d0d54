"""Cameras: pinhole projection, rigid 4×4 poses, and the OpenCV / OpenGL / EG3D conventions.

talkbench's conventions (every annotation and method uses them):

* camera axes are OpenCV's: x right, y down, z forward (out of the lens);
* intrinsics are pixels with pixel centres at integer coordinates: pixel (row i, column j) is (x = j, y = i), so the
  image centre of a W × H frame is ((W − 1)/2, (H − 1)/2); a clip stores them as {fx, fy, cx, cy, width, height};
* a head pose is the head→camera rigid transform [R | t] (metres); the head frame is aligned with the camera axes
  in the canonical frontal view: x to the image's right, y down, z away from the camera (into the head).

Other conventions met in this field, and the conversions to them:

* **OpenGL / NeRF** (the official ER-NeRF / AD-NeRF / RAD-NeRF `transforms_*.json`): the camera looks down −z
  with y up, and `transform_matrix` is camera→world with the face's 3DMM frame (y up, z out of the face) as the
  world. Both frames differ from talkbench's by D = diag(1, −1, −1) (a 180° turn about x), so
  head_pose = D · C⁻¹ · D (`pose_from_opengl`, `pose_to_opengl`).
* **EG3D** (`eg3d/camera_utils.py`, `training/volumetric_rendering/ray_sampler.py`): a 25-number label, the
  camera→world matrix [4×4] then normalised intrinsics [3×3]. Its world has y up and the face looking towards +z;
  `create_cam2world_matrix` puts [right, −up-in-the-image, forward] in the columns, i.e. the camera axes are
  OpenCV's (x right, y down, z forward). The FFHQ cameras sit on a sphere of radius 2.7 about the world origin and
  look at a pivot (0, 0, 0.2); the intrinsics are divided by the image size, principal point 0.5, focal 4.2647
  (`FOV_to_intrinsics` reads its field of view as the diagonal one: f = 1 / (√2 tan(fov/2)), 18.837° ≈ 4.26),
  and its ray sampler puts pixel centres at (j + 0.5)/W. A head pose maps onto EG3D by the same 180° turn about x,
  a scale (EG3D units per metre) and the position of the head's origin in EG3D's world (`pose_to_eg3d`).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

OPENGL_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])
"""D: flips y and z (a 180° turn about x). Maps OpenGL camera axes to OpenCV's, the 3DMM / EG3D head frame (y up,
z out of the face) to talkbench's (y down, z into the head), and back: D is its own inverse."""

EG3D_RADIUS = 2.7
"""Distance of EG3D's FFHQ cameras from the world origin (`avg_camera_radius`)."""
EG3D_PIVOT = (0.0, 0.0, 0.2)
"""The point EG3D's FFHQ cameras look at (`avg_camera_pivot`), in EG3D units."""
EG3D_FOCAL = 4.2647
"""EG3D's FFHQ focal length, normalised by the image size (the labels of its dataset.json)."""


# ----------------------------------------------------------------------------- projection


def project(points: Any, fx: float, fy: float, cx: float, cy: float, min_depth: float | None = None) -> Any:
    """Pixels [..., 2] of camera-frame points [..., 3]: (fx·X/Z + cx, fy·Y/Z + cy); numpy arrays or torch tensors.

    `min_depth`: Z is clamped from below (a point behind the camera then lands far off, but finite: fits and
    their gradients stay defined); None divides by Z as it is.
    """
    z = points[..., 2]
    torch_input = not isinstance(points, np.ndarray)
    if min_depth is not None:
        z = z.clamp(min=min_depth) if torch_input else np.maximum(z, min_depth)
    # f·X/Z + c in this order: the trained NeRFs, the face tracker and the synthetic landmarks are bit-identical
    # only with the rounding they were made with
    u = fx * points[..., 0] / z + cx
    v = fy * points[..., 1] / z + cy
    if torch_input:
        import torch

        return torch.stack([u, v], -1)
    return np.stack([u, v], axis=-1)


def transform_points(poses: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points [N,3] moved by each of the rigid transforms [T,4,4]: [T,N,3] (R x + t)."""
    return np.einsum("tij,nj->tni", poses[:, :3, :3], points) + poses[:, None, :3, 3]


def project_points(points: np.ndarray, poses: np.ndarray, camera: np.ndarray) -> np.ndarray:
    """Pinhole projection [T,N,2] of head-frame points [N,3] under head→camera poses [T,4,4] with K [3,3]."""
    x = transform_points(poses, points)
    # normalised coordinates first, then K (OpenCV's projectPoints order): rounds differently from `project` in the
    # last bit, and the template fit's recorded RMSEs were computed this way
    uv = x[..., :2] / x[..., 2:3]
    return uv * (camera[0, 0], camera[1, 1]) + (camera[0, 2], camera[1, 2])


def camera_matrix(fx: float, fy: float, cx: float, cy: float) -> np.ndarray:
    """3×3 K of pixel intrinsics."""
    return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])


def intrinsic_matrix(focal: float, image_size: tuple[int, int]) -> np.ndarray:
    """3×3 K with fx = fy = focal and the principal point at the centre ((W−1)/2, (H−1)/2) of an (H, W) image."""
    h, w = image_size
    return camera_matrix(focal, focal, (w - 1) / 2.0, (h - 1) / 2.0)


# ----------------------------------------------------------------------------- rigid 4×4 transforms


def pose_matrix(rotation: Any, translation: Any) -> np.ndarray:
    """4×4 rigid transforms [..., 4, 4] (float64) of rotations [..., 3, 3] and translations [..., 3]."""
    r = np.asarray(rotation, np.float64)
    out = np.zeros(r.shape[:-2] + (4, 4))
    out[..., :3, :3] = r
    out[..., :3, 3] = translation
    out[..., 3, 3] = 1.0
    return out


def invert(pose: np.ndarray) -> np.ndarray:
    """Inverse [..., 4, 4] (float64) of rigid transforms [..., 4, 4]: [Rᵀ | −Rᵀ t], exact where a general inverse is not."""
    p = np.asarray(pose, np.float64)
    rt = np.swapaxes(p[..., :3, :3], -1, -2)
    return pose_matrix(rt, -np.einsum("...ij,...j->...i", rt, p[..., :3, 3]))


def compose(*transforms: np.ndarray) -> np.ndarray:
    """The product T₁ · T₂ · … of 4×4 transforms (applied right to left), batched over leading axes."""
    out = np.asarray(transforms[0], np.float64)
    for t in transforms[1:]:
        out = out @ np.asarray(t, np.float64)
    return out


# ----------------------------------------------------------------------------- OpenGL (NeRF transforms.json)


def _flip_inverse(m: np.ndarray) -> np.ndarray:
    """D · m⁻¹ · D: the conversion between talkbench's head pose and OpenGL camera→world matrices, either way."""
    # the general inverse (not `invert`): a transforms.json matrix need not be exactly rigid
    return OPENGL_TO_OPENCV @ np.linalg.inv(np.asarray(m, np.float64)) @ OPENGL_TO_OPENCV


def pose_from_opengl(cam2world: np.ndarray) -> np.ndarray:
    """Head→camera poses [..., 4, 4] (OpenCV axes) of OpenGL camera→head matrices (a NeRF `transform_matrix`): D C⁻¹ D."""
    return _flip_inverse(cam2world)


def pose_to_opengl(pose: np.ndarray) -> np.ndarray:
    """The OpenGL camera→head matrices [..., 4, 4] (a NeRF `transform_matrix`) of head→camera poses: D P⁻¹ D."""
    return _flip_inverse(pose)


# ----------------------------------------------------------------------------- EG3D


def look_at(eye: Sequence[float] | np.ndarray, target: Sequence[float] | np.ndarray,
            up: Sequence[float] = (0.0, 1.0, 0.0)) -> np.ndarray:
    """Camera→world [..., 4, 4] of cameras at `eye` [..., 3] looking at `target`, no roll about the world's `up`.

    The columns are [right, down, forward] (OpenCV camera axes), as EG3D's `create_cam2world_matrix` builds them.
    """
    eye = np.asarray(eye, np.float64)
    forward = np.asarray(target, np.float64) - eye
    forward = forward / np.linalg.norm(forward, axis=-1, keepdims=True)
    right = np.cross(forward, np.broadcast_to(np.asarray(up, np.float64), forward.shape))
    right = right / np.linalg.norm(right, axis=-1, keepdims=True)
    down = np.cross(forward, right)
    return pose_matrix(np.stack([right, down, forward], axis=-1), eye)


def eg3d_orbit(horizontal: float | np.ndarray, vertical: float | np.ndarray,
               pivot: Sequence[float] = EG3D_PIVOT, radius: float = EG3D_RADIUS) -> np.ndarray:
    """EG3D's camera→world [..., 4, 4] for angles (radians) as `LookAtPoseSampler` takes them, without its noise.

    The camera sits on the sphere of `radius` about the world origin at azimuth `horizontal` (π/2: on +z, in front
    of the face) and polar parameter `vertical` (π/2: level; EG3D maps it to the polar angle arccos(1 − 2v/π)),
    looking at `pivot`.
    """
    h, v = np.asarray(horizontal, np.float64), np.asarray(vertical, np.float64)
    phi = np.arccos(1.0 - 2.0 * np.clip(v, 1e-5, math.pi - 1e-5) / math.pi)
    eye = radius * np.stack([np.sin(phi) * np.cos(math.pi - h), np.cos(phi), np.sin(phi) * np.sin(math.pi - h)], axis=-1)
    return look_at(eye, np.broadcast_to(np.asarray(pivot, np.float64), eye.shape))


def pose_to_eg3d(pose: np.ndarray, scale: float, origin: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """EG3D camera→world [..., 4, 4] of talkbench head→camera poses [..., 4, 4] (metres).

    EG3D's world is the head frame turned 180° about x (y up, the face towards +z), scaled by `scale` (EG3D units
    per metre) and placed with the head frame's origin at `origin` (EG3D units). Both use OpenCV camera axes, so
    the camera's rotation is D·Rᵀ and its position scale·D·(−Rᵀ t) + origin.
    """
    c2w = OPENGL_TO_OPENCV @ invert(pose)
    c2w[..., :3, 3] = c2w[..., :3, 3] * scale + np.asarray(origin, np.float64)
    return c2w


def pose_from_eg3d(cam2world: np.ndarray, scale: float, origin: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """talkbench head→camera poses [..., 4, 4] (metres) of EG3D camera→world matrices: the inverse of `pose_to_eg3d`."""
    c2h = np.array(cam2world, np.float64)
    c2h[..., :3, 3] = (c2h[..., :3, 3] - np.asarray(origin, np.float64)) / scale
    return invert(OPENGL_TO_OPENCV @ c2h)


def focal_from_fov(fov_deg: float) -> float:
    """EG3D's normalised focal length of a field of view in degrees, read as the diagonal one: 1 / (√2 tan(fov/2))."""
    # EG3D's FOV_to_intrinsics writes π as 3.14159 and √2 as 1.414 (4.2634 for 18.837°); exact constants here
    return 1.0 / (math.sqrt(2.0) * math.tan(math.radians(fov_deg) / 2.0))


def eg3d_intrinsics(focal: float = EG3D_FOCAL) -> np.ndarray:
    """EG3D's normalised 3×3 intrinsics: focal / image size, principal point (0.5, 0.5)."""
    return camera_matrix(focal, focal, 0.5, 0.5)


def normalise_intrinsics(intrinsics: dict[str, Any]) -> np.ndarray:
    """EG3D-style normalised 3×3 K of talkbench pixel intrinsics {fx, fy, cx, cy, width, height}.

    Divided by the image size; the principal point moves by half a pixel, since EG3D's pixel centres are at
    (j + 0.5)/W and talkbench's at j.
    """
    w, h = float(intrinsics["width"]), float(intrinsics["height"])
    return camera_matrix(float(intrinsics["fx"]) / w, float(intrinsics["fy"]) / h,
                         (float(intrinsics["cx"]) + 0.5) / w, (float(intrinsics["cy"]) + 0.5) / h)


def pixel_intrinsics_of(normalised: np.ndarray, width: int, height: int) -> dict[str, Any]:
    """talkbench pixel intrinsics {fx, fy, cx, cy, width, height} of a normalised K for a width × height image."""
    k = np.asarray(normalised, np.float64)
    return {"fx": float(k[0, 0]) * width, "fy": float(k[1, 1]) * height, "cx": float(k[0, 2]) * width - 0.5,
            "cy": float(k[1, 2]) * height - 0.5, "width": int(width), "height": int(height)}


def eg3d_label(cam2world: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """EG3D's camera label [..., 25]: camera→world flattened (16), then the normalised intrinsics (9)."""
    c2w = np.asarray(cam2world, np.float64)
    k = np.broadcast_to(np.asarray(intrinsics, np.float64), c2w.shape[:-2] + (3, 3))
    return np.concatenate([c2w.reshape(c2w.shape[:-2] + (16,)), k.reshape(k.shape[:-2] + (9,))], axis=-1)
