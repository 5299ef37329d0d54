"""Rotations (bench/geometry/so3.py): closed forms, round trips, numpy vs torch, scipy as the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from talkbench.geometry import so3


def _random_rotations(n: int, seed: int = 0) -> np.ndarray:
    return Rotation.random(n, random_state=seed).as_matrix()


def _assert_rotation(r: np.ndarray) -> None:
    np.testing.assert_allclose(r @ np.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), r.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-12)


# ----------------------------------------------------------------------------- axis rotations and Euler compositions


def test_axis_rotations_turn_the_axes_right_handedly() -> None:
    q = math.pi / 2
    np.testing.assert_allclose(so3.rot_x(q) @ [0, 1, 0], [0, 0, 1], atol=1e-15)  # y → z
    np.testing.assert_allclose(so3.rot_y(q) @ [0, 0, 1], [1, 0, 0], atol=1e-15)  # z → x
    np.testing.assert_allclose(so3.rot_z(q) @ [1, 0, 0], [0, 1, 0], atol=1e-15)  # x → y
    for f, axis in ((so3.rot_x, "x"), (so3.rot_y, "y"), (so3.rot_z, "z")):
        for angle in (-2.5, -0.3, 0.0, 0.7, 3.0):
            r = f(angle)
            _assert_rotation(r)
            np.testing.assert_allclose(r, Rotation.from_euler(axis, angle).as_matrix(), atol=1e-15)
    assert np.array_equal(so3.rot_x(0.0), np.eye(3))


def test_yaw_pitch_roll_is_rz_rx_ry() -> None:
    rng = np.random.default_rng(0)
    for yaw, pitch, roll in rng.uniform(-1.5, 1.5, (20, 3)):
        r = so3.from_yaw_pitch_roll(yaw, pitch, roll)
        assert np.array_equal(r, so3.rot_z(roll) @ so3.rot_x(pitch) @ so3.rot_y(yaw))
        # intrinsic Z, X', Y'' rotations compose as Rz · Rx · Ry
        np.testing.assert_allclose(r, Rotation.from_euler("ZXY", [roll, pitch, yaw]).as_matrix(), atol=1e-14)
    # OpenCV camera axes, head frame = camera axes when frontal: a positive yaw turns the nose (−z) towards −x
    nose = so3.from_yaw_pitch_roll(0.3, 0.0, 0.0) @ [0.0, 0.0, -1.0]
    assert nose[0] < 0 and abs(nose[1]) < 1e-15


def test_euler_xyz_matrix_and_its_torch_inverse() -> None:
    rng = np.random.default_rng(1)
    angles = np.column_stack([rng.uniform(-3.1, 3.1, 50), rng.uniform(-1.5, 1.5, 50), rng.uniform(-3.1, 3.1, 50)])
    mats = np.stack([so3.from_euler_xyz(a) for a in angles])
    np.testing.assert_allclose(mats, Rotation.from_euler("XYZ", angles).as_matrix(), atol=1e-14)
    back = so3.euler_xyz(torch.from_numpy(mats))  # numpy builds, torch recovers
    np.testing.assert_allclose(back.numpy(), angles, atol=1e-12)
    batched = so3.euler_xyz(torch.from_numpy(mats.reshape(5, 10, 3, 3)))
    assert batched.shape == (5, 10, 3)
    np.testing.assert_allclose(so3.euler_xyz(torch.from_numpy(mats).float()).numpy(), angles, atol=1e-5)  # float32 too


def test_euler_xyz_is_differentiable() -> None:
    r = torch.tensor(so3.from_euler_xyz([0.2, -0.4, 0.9]), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda m: so3.euler_xyz(m), (r,))


# ----------------------------------------------------------------------------- axis-angle


def test_rotvec_round_trip_and_reference() -> None:
    rng = np.random.default_rng(2)
    for v in rng.normal(0, 1.0, (30, 3)):
        v = v / max(1.0, np.linalg.norm(v) / 3.0)  # angles below π: the log map is unique
        r = so3.rotvec_to_matrix(v)
        _assert_rotation(r)
        np.testing.assert_allclose(r, Rotation.from_rotvec(v).as_matrix(), atol=1e-14)
        np.testing.assert_allclose(so3.matrix_to_rotvec(r), v, atol=1e-12)
    assert np.array_equal(so3.rotvec_to_matrix(np.zeros(3)), np.eye(3))
    assert so3.matrix_to_rotvec(np.eye(3)).shape == (3,)
    np.testing.assert_array_equal(so3.rotvec_to_matrix([[0.1], [0.2], [0.3]]), so3.rotvec_to_matrix([0.1, 0.2, 0.3]))


def test_torch_rodrigues_agrees_with_numpy() -> None:
    rng = np.random.default_rng(3)
    v = np.concatenate([rng.normal(0, 1.0, (40, 3)), [[0, 0, 0], [1e-9, 0, 0], [0, -3e-5, 2e-5], [math.pi, 0, 0]]])
    r = so3.rodrigues(torch.from_numpy(v)).numpy()
    np.testing.assert_allclose(r, np.stack([so3.rotvec_to_matrix(x) for x in v]), atol=1e-14)
    assert np.array_equal(r[40], np.eye(3))  # exact at zero
    assert so3.rodrigues(torch.from_numpy(v.reshape(4, 11, 3))).shape == (4, 11, 3, 3)
    assert so3.rodrigues(torch.zeros(2, 3, dtype=torch.float32)).dtype == torch.float32


@pytest.mark.parametrize("at", [[0.0, 0.0, 0.0], [2e-5, -1e-5, 0.0], [0.4, -0.3, 1.2]])
def test_torch_rodrigues_gradient(at: list[float]) -> None:
    w = torch.tensor([at], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(so3.rodrigues, (w,))
    # at zero the derivative along w_k is the generator [e_k]×
    if not any(at):
        jac = torch.autograd.functional.jacobian(so3.rodrigues, w.detach())[0, :, :, 0, :]  # [3, 3, 3 (k)]
        np.testing.assert_allclose(jac[..., 2].numpy(), [[0, -1, 0], [1, 0, 0], [0, 0, 0]], atol=1e-12)


# ----------------------------------------------------------------------------- means and angles


def test_chordal_mean() -> None:
    g = _random_rotations(1, seed=4)[0]
    rng = np.random.default_rng(4)
    deltas = rng.normal(0, 0.1, (10, 3))
    spread = np.stack([so3.rotvec_to_matrix(d) for d in np.concatenate([deltas, -deltas])])
    np.testing.assert_allclose(so3.chordal_mean(g @ spread), g, atol=1e-12)  # symmetric about g
    np.testing.assert_allclose(so3.chordal_mean(np.stack([g] * 3)), g, atol=1e-12)
    rots = _random_rotations(7, seed=5)
    m = so3.chordal_mean(rots)
    _assert_rotation(m)
    np.testing.assert_allclose(so3.chordal_mean(g @ rots), g @ m, atol=1e-12)  # equivariant
    np.testing.assert_allclose(m, Rotation.from_matrix(rots).mean().as_matrix(), atol=1e-9)  # scipy: chordal too


def test_angle_and_geodesic_distance() -> None:
    for theta in (0.0, 1e-9, 1e-4, 0.5, 2.0, math.pi - 1e-7, math.pi):
        for f in (so3.rot_x, so3.rot_y, so3.rot_z):
            assert so3.angle_deg(f(theta)) == pytest.approx(math.degrees(theta), rel=1e-9, abs=1e-12)
            assert so3.angle_deg(f(-theta)) == pytest.approx(math.degrees(theta), rel=1e-9, abs=1e-12)
    a, b = _random_rotations(20, seed=6), _random_rotations(20, seed=7)
    d = so3.geodesic_deg(a, b)
    assert d.shape == (20,)
    np.testing.assert_allclose(d, np.degrees((Rotation.from_matrix(a) * Rotation.from_matrix(b).inv()).magnitude()), atol=1e-10)
    np.testing.assert_allclose(d, so3.geodesic_deg(b, a), atol=1e-10)  # symmetric
    np.testing.assert_allclose(so3.geodesic_deg(a, a), 0.0, atol=1e-12)
