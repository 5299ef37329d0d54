"""Cameras (bench/geometry/camera.py): projection, rigid poses, OpenGL and EG3D conventions.

The EG3D properties come from EG3D's `camera_utils.py` (`LookAtPoseSampler`, `create_cam2world_matrix`,
`FOV_to_intrinsics`) and `ray_sampler.py` (pixel centres at (j + 0.5) / resolution, rays x = (u − cx) / fx).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from talkbench.geometry import camera, so3

D3 = np.diag([1.0, -1.0, -1.0])


def _poses(n: int, seed: int = 0, depth: float = 0.6) -> np.ndarray:
    """Head→camera poses [n,4,4]: random rotations up to ~40°, the head about `depth` metres in front."""
    rng = np.random.default_rng(seed)
    rot = Rotation.from_rotvec(rng.normal(0, 0.4, (n, 3))).as_matrix()
    return camera.pose_matrix(rot, rng.normal(0, 0.05, (n, 3)) + (0.0, 0.0, depth))


# ----------------------------------------------------------------------------- projection


def test_project_closed_form_numpy_and_torch() -> None:
    rng = np.random.default_rng(0)
    pts = rng.normal(0, 0.2, (50, 3)) + (0, 0, 1.0)
    fx, fy, cx, cy = 500.0, 480.0, 127.5, 95.5
    uv = camera.project(pts, fx, fy, cx, cy)
    # the documented rounding: f·X/Z + c, in this order (bit for bit)
    assert np.array_equal(uv, np.stack([fx * pts[:, 0] / pts[:, 2] + cx, fy * pts[:, 1] / pts[:, 2] + cy], axis=1))
    np.testing.assert_allclose(camera.project(np.array([0.0, 0.0, 2.0]), fx, fy, cx, cy), [cx, cy])  # optical axis
    t = camera.project(torch.from_numpy(pts), fx, fy, cx, cy)
    assert isinstance(t, torch.Tensor) and np.array_equal(t.numpy(), uv)  # numpy and torch agree
    batched = camera.project(pts.reshape(5, 10, 3), fx, fy, cx, cy)
    assert batched.shape == (5, 10, 2) and np.array_equal(batched.reshape(50, 2), uv)


def test_project_depth_floor() -> None:
    pts = np.array([[0.1, 0.1, -0.5], [0.1, 0.1, 0.0], [0.1, 0.1, 0.5]])
    uv = camera.project(pts, 100.0, 100.0, 0.0, 0.0, min_depth=1e-3)
    assert np.isfinite(uv).all() and uv[0, 0] == uv[1, 0] == pytest.approx(1e4)  # behind the camera: at the floor
    assert uv[2, 0] == pytest.approx(20.0)
    t = torch.tensor(pts, requires_grad=True)
    out = camera.project(t, 100.0, 100.0, 0.0, 0.0, min_depth=1e-3)
    out.sum().backward()
    assert torch.isfinite(t.grad).all() and np.array_equal(out.detach().numpy(), uv)
    assert t.grad[0, 2] == 0 and t.grad[2, 2] != 0  # no gradient through the clamped depth


def test_project_points_under_poses() -> None:
    poses = _poses(6)
    pts = np.random.default_rng(1).normal(0, 0.05, (20, 3))
    k = camera.intrinsic_matrix(700.0, (480, 640))
    np.testing.assert_array_equal(k, [[700.0, 0, 319.5], [0, 700.0, 239.5], [0, 0, 1]])  # pixel centres at integers
    uv = camera.project_points(pts, poses, k)
    assert uv.shape == (6, 20, 2)
    np.testing.assert_allclose(uv, camera.project(camera.transform_points(poses, pts), 700.0, 700.0, 319.5, 239.5),
                               atol=1e-9)
    for i, p in enumerate(poses):
        ref = cv2.projectPoints(pts, cv2.Rodrigues(p[:3, :3])[0], p[:3, 3], k, None)[0].reshape(-1, 2)
        np.testing.assert_allclose(uv[i], ref, atol=1e-9)
    np.testing.assert_allclose(camera.transform_points(poses, pts)[2], pts @ poses[2, :3, :3].T + poses[2, :3, 3], atol=1e-15)


# ----------------------------------------------------------------------------- rigid transforms


def test_pose_matrix_invert_compose() -> None:
    poses = _poses(5, seed=2)
    assert poses.dtype == np.float64 and np.array_equal(poses[:, 3], np.tile([0.0, 0.0, 0.0, 1.0], (5, 1)))
    inv = camera.invert(poses)
    np.testing.assert_allclose(camera.compose(inv, poses), np.broadcast_to(np.eye(4), (5, 4, 4)), atol=1e-14)
    np.testing.assert_allclose(camera.invert(inv), poses, atol=1e-15)
    np.testing.assert_allclose(inv, np.linalg.inv(poses), atol=1e-13)
    np.testing.assert_allclose(camera.invert(poses.astype(np.float32)), inv, atol=1e-6)  # float32 in, float64 out
    assert camera.invert(poses[0]).shape == (4, 4)
    np.testing.assert_allclose(camera.compose(poses[0], poses[1], poses[2]), poses[0] @ poses[1] @ poses[2])
    np.testing.assert_array_equal(camera.pose_matrix(np.eye(3), [1.0, 2.0, 3.0])[:3, 3], [1.0, 2.0, 3.0])


# ----------------------------------------------------------------------------- OpenGL (NeRF transforms.json)


def test_opengl_round_trip_and_frontal() -> None:
    poses = _poses(4, seed=3)
    gl = camera.pose_to_opengl(poses)
    np.testing.assert_allclose(camera.pose_from_opengl(gl), poses, atol=1e-14)
    # a frontal face: the OpenGL camera d metres in front of the face (+z of the 3DMM frame), no rotation
    c = np.eye(4)
    c[2, 3] = 0.7
    np.testing.assert_allclose(camera.pose_from_opengl(c), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.7], [0, 0, 0, 1]])
    # the OpenGL camera looks down its −z: a head point in front of it has z > 0 in talkbench's camera
    head_point = np.array([0.01, 0.02, 0.03, 1.0])  # talkbench head frame
    cam_cv = poses[0] @ head_point
    cam_gl = np.linalg.inv(gl[0]) @ (camera.OPENGL_TO_OPENCV @ head_point)  # the same point, official frames
    np.testing.assert_allclose(cam_gl, camera.OPENGL_TO_OPENCV @ cam_cv, atol=1e-14)
    assert cam_gl[2] < 0 < cam_cv[2]


# ----------------------------------------------------------------------------- EG3D


def test_eg3d_frontal_camera() -> None:
    c2w = camera.look_at([0.0, 0.0, 2.7], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(c2w[:3, :3], np.diag([1.0, -1.0, -1.0]), atol=1e-15)  # [right, down, forward]
    np.testing.assert_allclose(c2w[:3, 3], [0.0, 0.0, 2.7])
    # LookAtPoseSampler(π/2, π/2, pivot, radius): the same camera
    np.testing.assert_allclose(camera.eg3d_orbit(math.pi / 2, math.pi / 2, pivot=(0.0, 0.0, 0.0)), c2w, atol=1e-15)
    # a frontal head pose d metres away, scaled so that d becomes 2.7 units: that camera again
    pose = camera.pose_matrix(np.eye(3), [0.0, 0.0, 0.5])
    np.testing.assert_allclose(camera.pose_to_eg3d(pose, scale=2.7 / 0.5), c2w, atol=1e-15)


def test_eg3d_orbit_properties() -> None:
    h = np.array([math.pi / 2, math.pi / 2 + 0.4, math.pi / 2 - 0.3, 1.0])
    v = np.array([math.pi / 2, math.pi / 2 - 0.2, math.pi / 2 + 0.25, 2.0])
    c2w = camera.eg3d_orbit(h, v)
    assert c2w.shape == (4, 4, 4)
    rot, eye = c2w[:, :3, :3], c2w[:, :3, 3]
    np.testing.assert_allclose(rot @ np.swapaxes(rot, 1, 2), np.broadcast_to(np.eye(3), rot.shape), atol=1e-14)
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(eye, axis=1), camera.EG3D_RADIUS)  # on the sphere about the origin
    to_pivot = np.asarray(camera.EG3D_PIVOT) - eye
    np.testing.assert_allclose(rot[:, :, 2], to_pivot / np.linalg.norm(to_pivot, axis=1, keepdims=True), atol=1e-14)
    assert (rot[:, 1, 0] == pytest.approx(0.0, abs=1e-15)) and (rot[:, 1, 1] < 0).all()  # no roll; image y is down
    assert eye[1, 0] > 0 > eye[2, 0]  # azimuth above π/2: the camera moves to +x
    assert eye[1, 1] > 0 > eye[2, 1]  # polar parameter below π/2: above the head (y up)


def test_head_pose_to_eg3d_round_trip_and_axes() -> None:
    poses = _poses(8, seed=4)
    origin = (0.01, -0.02, 0.05)
    c2w = camera.pose_to_eg3d(poses, scale=4.0, origin=origin)
    np.testing.assert_allclose(camera.pose_from_eg3d(c2w, scale=4.0, origin=origin), poses, atol=1e-14)
    np.testing.assert_allclose(c2w[:, :3, :3], D3 @ np.swapaxes(poses[:, :3, :3], 1, 2), atol=1e-15)  # D·Rᵀ
    # with scale 1 and no offset, EG3D's matrix is the OpenGL one with the camera's y and z flipped back
    np.testing.assert_allclose(camera.pose_to_eg3d(poses, scale=1.0) @ camera.OPENGL_TO_OPENCV, camera.pose_to_opengl(poses),
                               atol=1e-14)


def test_projection_in_eg3d_units_agrees_with_pixels() -> None:
    poses = _poses(5, seed=5)
    pts_h = np.random.default_rng(6).normal(0, 0.06, (30, 3))  # head frame, metres
    intr = {"fx": 900.0, "fy": 900.0, "cx": 255.5, "cy": 255.5, "width": 512, "height": 512}
    uv_px = camera.project_points(pts_h, poses, camera.camera_matrix(intr["fx"], intr["fy"], intr["cx"], intr["cy"]))
    scale, origin = 3.0, np.array([0.0, 0.05, -0.1])
    c2w = camera.pose_to_eg3d(poses, scale, origin)
    k = camera.normalise_intrinsics(intr)
    np.testing.assert_allclose(k, [[900 / 512, 0, 0.5], [0, 900 / 512, 0.5], [0, 0, 1]])  # centred: principal point 0.5
    pts_w = scale * pts_h @ D3 + origin  # EG3D world: the head turned 180° about x, scaled, offset (D3 is symmetric)
    for i in range(len(poses)):
        cam = np.c_[pts_w, np.ones(len(pts_w))] @ np.linalg.inv(c2w[i]).T
        uv_n = camera.project(cam[:, :3], k[0, 0], k[1, 1], k[0, 2], k[1, 2])
        np.testing.assert_allclose(uv_n * 512 - 0.5, uv_px[i], atol=1e-9)  # EG3D pixel centres at (j + 0.5) / W


def test_eg3d_intrinsics() -> None:
    k = camera.eg3d_intrinsics()
    np.testing.assert_array_equal(k, [[camera.EG3D_FOCAL, 0, 0.5], [0, camera.EG3D_FOCAL, 0.5], [0, 0, 1]])
    # FOV_to_intrinsics reads the field of view as the diagonal one; FFHQ's 18.837° is its focal 4.2647
    assert camera.focal_from_fov(18.837) == pytest.approx(camera.EG3D_FOCAL, rel=1e-3)
    theirs = 1 / (math.tan(18.837 * 3.14159 / 360) * 1.414)  # their constants for π and √2
    assert camera.focal_from_fov(18.837) == pytest.approx(theirs, rel=2e-4)
    # the ray through talkbench pixel j is the ray through EG3D's normalised (j + 0.5) / W
    intr = {"fx": 600.0, "fy": 610.0, "cx": 200.0, "cy": 140.0, "width": 400, "height": 300}
    kn = camera.normalise_intrinsics(intr)
    j, i = np.arange(400.0), np.arange(300.0)
    np.testing.assert_allclose(((j + 0.5) / 400 - kn[0, 2]) / kn[0, 0], (j - intr["cx"]) / intr["fx"], atol=1e-12)
    np.testing.assert_allclose(((i + 0.5) / 300 - kn[1, 2]) / kn[1, 1], (i - intr["cy"]) / intr["fy"], atol=1e-12)
    back = camera.pixel_intrinsics_of(kn, 400, 300)
    assert back.keys() == intr.keys() and all(back[key] == pytest.approx(intr[key], abs=1e-9) for key in intr)


def test_eg3d_label_layout() -> None:
    c2w = camera.eg3d_orbit(math.pi / 2 + 0.1, math.pi / 2)
    label = camera.eg3d_label(c2w, camera.eg3d_intrinsics())
    assert label.shape == (25,)
    np.testing.assert_array_equal(label[:16], c2w.reshape(16))
    np.testing.assert_array_equal(label[16:], camera.eg3d_intrinsics().reshape(9))
    assert camera.eg3d_label(np.stack([c2w] * 3), camera.eg3d_intrinsics()).shape == (3, 25)


def test_so3_and_camera_agree_on_the_synthetic_convention() -> None:
    """The generator's yaw/pitch/roll head pose projects where cv2 puts it (one convention across both modules)."""
    r = so3.from_yaw_pitch_roll(0.2, -0.1, 0.05)
    pose = camera.pose_matrix(r, [0.01, -0.02, 0.5])
    pts = np.random.default_rng(7).normal(0, 0.05, (10, 3))
    k = camera.intrinsic_matrix(300.0, (256, 256))
    ref = cv2.projectPoints(pts, so3.matrix_to_rotvec(r), pose[:3, 3], k, None)[0].reshape(-1, 2)
    np.testing.assert_allclose(camera.project(pts @ r.T + pose[:3, 3], 300.0, 300.0, 127.5, 127.5), ref, atol=1e-9)
