"""Rotations (SO(3)): axis rotations and Euler compositions, axis-angle maps, means and angles.

Conventions: right-handed, active rotations acting on column vectors (x' = R x), angles in radians unless the name
says degrees. numpy functions work in float64; the torch functions (`rodrigues`, `euler_xyz`) are batched and
differentiable and keep the input's dtype and device.

These functions replace the helpers that the synthetic generator, the face fits and the NeRF torso each had; their
floating-point operations are the callers' former ones, in the same order, so every result is bit-identical to what
those helpers gave (the generator's content hash, the face fits and the trained weights did not change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

if TYPE_CHECKING:
    import torch


# ----------------------------------------------------------------------------- axis rotations and Euler compositions


def rot_x(angle: float) -> np.ndarray:
    """3×3 rotation by `angle` about the x axis."""
    # np.cos/np.sin call the same libm as math.cos/math.sin for float64 (numpy 1.26; checked bit for bit on 3M
    # values with and without numpy's SIMD dispatch), so the callers that used math.cos get the same matrices.
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(angle: float) -> np.ndarray:
    """3×3 rotation by `angle` about the y axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(angle: float) -> np.ndarray:
    """3×3 rotation by `angle` about the z axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def from_yaw_pitch_roll(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """R = Rz(roll) · Rx(pitch) · Ry(yaw): yaw about y, pitch about x, roll about z (the synthetic head's motion).

    With OpenCV camera axes (x right, y down, z forward) and the head frame aligned with them in the frontal view,
    yaw turns the face sideways, pitch nods it and roll tilts it in the image plane.
    """
    return rot_z(roll) @ rot_x(pitch) @ rot_y(yaw)


def from_euler_xyz(angles: Any) -> np.ndarray:
    """R = Rx(a) · Ry(b) · Rz(c) of angles (a, b, c): the inverse of `euler_xyz` (pytorch3d's "XYZ" convention)."""
    a, b, c = (float(v) for v in angles)
    return rot_x(a) @ rot_y(b) @ rot_z(c)


def euler_xyz(rot: "torch.Tensor") -> "torch.Tensor":
    """XYZ Euler angles [..., 3] of rotation matrices [..., 3, 3] (R = Rx(a) Ry(b) Rz(c), pytorch3d's "XYZ"; torch)."""
    import torch

    # R = Rx(a) Ry(b) Rz(c): R[0,2] = sin b, R[1,2] = -sin a cos b, R[2,2] = cos a cos b, R[0,1] = -cos b sin c,
    # R[0,0] = cos b cos c; |b| = 90° (gimbal lock) leaves a and c undetermined
    b = torch.asin(rot[..., 0, 2].clamp(-1.0, 1.0))
    a = torch.atan2(-rot[..., 1, 2], rot[..., 2, 2])
    c = torch.atan2(-rot[..., 0, 1], rot[..., 0, 0])
    return torch.stack([a, b, c], dim=-1)


# ----------------------------------------------------------------------------- axis-angle


def rotvec_to_matrix(rotvec: Any) -> np.ndarray:
    """3×3 rotation matrix of one axis-angle vector [3] (OpenCV's Rodrigues)."""
    return cv2.Rodrigues(np.ascontiguousarray(rotvec, np.float64).reshape(3, 1))[0]


def matrix_to_rotvec(rot: Any) -> np.ndarray:
    """Axis-angle vector [3] of one 3×3 rotation matrix (OpenCV's Rodrigues; angle in [0, π])."""
    return cv2.Rodrigues(np.ascontiguousarray(rot, np.float64))[0].ravel()


def rodrigues(rotvec: "torch.Tensor") -> "torch.Tensor":
    """Rotation matrices [..., 3, 3] of axis-angle vectors [..., 3] (torch, batched, differentiable, exact at zero).

    R = I + (sin θ / θ) K + ((1 − cos θ) / θ²) K², K = [w]×; below θ² = 1e-8 the two coefficients are their Taylor
    series (1 − θ²/6, 1/2 − θ²/24), so neither the value nor the gradient has a 0/0 at w = 0.
    """
    import torch

    w = rotvec
    theta2 = (w * w).sum(-1, keepdim=True)[..., None]  # [...,1,1]
    small = theta2 < 1e-8
    theta = torch.sqrt(torch.where(small, torch.ones_like(theta2), theta2))
    a = torch.where(small, 1.0 - theta2 / 6.0, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24.0, (1.0 - torch.cos(theta)) / (theta * theta))
    zero = torch.zeros_like(w[..., 0])
    k = torch.stack([torch.stack([zero, -w[..., 2], w[..., 1]], -1),
                     torch.stack([w[..., 2], zero, -w[..., 0]], -1),
                     torch.stack([-w[..., 1], w[..., 0], zero], -1)], -2)
    eye = torch.eye(3, dtype=w.dtype, device=w.device).expand_as(k)
    return eye + a * k + b * (k @ k)


# ----------------------------------------------------------------------------- means and distances


def chordal_mean(rots: np.ndarray) -> np.ndarray:
    """Chordal L2 mean of rotations [N,3,3]: the rotation nearest (Frobenius) to their sum, by SVD."""
    u, _, vt = np.linalg.svd(rots.sum(0))
    return u @ np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))]) @ vt


def angle_deg(rot: np.ndarray) -> np.ndarray:
    """Rotation angle(s) in degrees of [...,3,3] matrices: the geodesic distance to the identity.

    atan2(|axis part|, trace − 1) rather than arccos((trace − 1) / 2), which loses half the digits near 0 and π.
    """
    v = np.stack([rot[..., 2, 1] - rot[..., 1, 2], rot[..., 0, 2] - rot[..., 2, 0], rot[..., 1, 0] - rot[..., 0, 1]], axis=-1)
    return np.degrees(np.arctan2(np.linalg.norm(v, axis=-1), np.trace(rot, axis1=-2, axis2=-1) - 1.0))


def geodesic_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distance in degrees between rotations a and b [...,3,3]: the angle of a·bᵀ."""
    return angle_deg(np.einsum("...ij,...kj->...ik", a, b))
