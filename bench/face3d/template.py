"""A head pose per frame from 2D 68-point landmarks: a rigid face template fitted by PnP.

The NeRF talking-portrait methods need, per frame, the head pose (head→camera rotation and
translation) and the camera intrinsics. Their official scripts fit the Basel Face Model, which
cannot be shipped here; talkbench's default fits one generic rigid 3D face (`TEMPLATE_68`) to the
iBUG 68 landmarks of every frame (`talkbench.perception.landmarks`), with

* one focal length for the whole video, found by a 1-D search (log-spaced grid, then golden
  section) that minimises the total reprojection error of a per-frame PnP (`focal_search`);
* per frame, `cv2.solvePnP` (SQPnP, global) refined by Levenberg–Marquardt on the rigid points;
* frames without a face filled by interpolation (held at the ends);
* Savitzky–Golay smoothing of the rotations (log map about the clip's mean rotation, so rotation
  vectors never wrap) and of the translations.

A 3DMM tracker can replace it later when the user supplies the model; the output (`HeadPoseFit`)
has what the NeRF preprocessing needs: `poses` [T,4,4] and `intrinsics`.

Conventions (the synthetic generator's, `talkbench.datasets.synthetic`): camera x right, y down,
z forward (OpenCV); pixel (row i, column j) has its centre at (x=j, y=i); the head frame is
x to the image's right in a frontal view (the subject's left), **y down**, z forward (from the face
into the head), origin at the head's centre (see the template below), metres.

The template (`TEMPLATE_68`, metres, head frame) — how the numbers were obtained
--------------------------------------------------------------------------------
They are the mean 3D face that mediapipe's face mesh (0.10.21, the model bundled in its wheel)
predicts for the 100 face images of scikit-image's LFW subset (`skimage.data.lfw_subset()[:100]`,
25×25 px crops of Labeled Faces in the Wild; 94 are found when upscaled ×8 and padded), computed by
`derive_template` (run `derive_template(lfw_mesh_vertices())` to reproduce them; a test does):

1. each face's 468 mesh vertices (x, y in pixels, z in the same pixel scale, image axes) are aligned
   by generalised Procrustes analysis (similarity) and averaged;
2. the mean mesh is reduced to the iBUG 68 points with `talkbench.zoo.mediapipe.MESH_TO_IBUG68`
   (the mapping the mediapipe landmark backend uses) and made left/right symmetric (averaged
   with its mirror image, iBUG points permuted); the asymmetry removed was 0.6 mm RMS on the
   fitted points (3 mm over all 68: the mapping's jaw points 7 and 9 are vertices 150 and 377,
   which are not mirror images of each other — 150's mirror is 379 — so they moved ~17 mm);
3. axes: x is the normal of the symmetry plane; the pitch (rotation about x) is chosen so that
   the LFW photos' mean pitch is zero (a portrait photographed at eye level is "frontal");
4. metric scale from a public statistic: the mean adult interpupillary distance, 63 mm (Dodgson
   2004, 63.4 mm in the ANSUR survey), taken as the distance between the two eye-contour centres.
   Cross-checks against Farkas' anthropometric norms (1994; adult women–men, approximately),
   which were *not* used to fit: outer eye corners 89 mm (ex–ex ≈ 87–91), mouth corners 51 mm
   (ch–ch ≈ 50–55), nasion to chin 118 mm (n–gn ≈ 112–125);
5. origin: x on the symmetry plane, y at the level of the eye centres, z 90 mm behind the top of
   the nose bridge (point 27), i.e. about half the mean head length (glabella–opisthocranion,
   ≈ 190 mm) — near the head's centre, like the synthetic generator's ellipsoid centre.

Rounded to 0.1 mm. The jaw points (0–16) are mediapipe's face-oval vertices, which run slightly
inside the iBUG jaw line (see `talkbench.zoo.mediapipe`); they are not used by default.

Nothing of the synthetic portrait was used to make or tune the template: its face is skimage's
astronaut photo placed on an ellipsoid, and neither the photo, the ellipsoid nor the generator's
canonical landmarks entered the derivation.

Measured on the embedded synthetic portrait (550 frames, defaults: focal searched, 7-frame
smoothing; errors after removing the template's constant head-frame rotation, and relative to
frame 0 — see `pose_errors`): with its exact landmarks, rotation 2.9° mean (6.2° max), relative
4.5° (8.5°), at 128 and at 512 px alike; with mediapipe landmarks 2.9° / 6.9° relative at 128 px,
2.6° / 5.2° at 512 px. The synthetic head is an ellipsoid with the photo painted on it, far
flatter than a human face: the generic template sees only 14 % of its pitch and 22 % of its yaw
(roll, in the image plane, is tracked with gain 1.04). The same fit with the generator's own
landmark geometry as template is exact (0.00°, focal found exactly), so the error is the
template's shape, not the solver. The focal is poorly determined on this clip (the RMSE curve
is flat towards long focals): the range's upper end (4× the true focal) with exact landmarks,
1.45× (128 px) and again the upper end (512 px) with mediapipe's.

The points used by default (`RIGID_POINTS`): the brows (17–26), the nose (27–35), the four eye
corners (36, 39, 42, 45) and the lower lids (40, 41, 46, 47) — 27 points that move little with
speech. Excluded: the mouth (48–67) and the jaw (0–16), which move when the mouth opens (and the
jaw contour slides along the face outline when the head turns); the upper lids (37, 38, 43, 44),
which move with every blink. The brows do move with expression; they stay because they are the
only fitted points well above the eyes (without them the points span just the band from the eyes
to the nostrils; on the synthetic portrait's exact landmarks the error rises from 2.9° to 3.3°).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import cv2
import numpy as np
from tqdm import tqdm

from talkbench.core.errors import InputError
from talkbench.geometry import camera, so3

# ----------------------------------------------------------------------------- the template

# fmt: off
_TEMPLATE_MM = np.array([
    # jaw 0-16 (mediapipe face oval)
    ( -69.4,    1.9,  -21.9), ( -68.8,   16.1,  -17.1), ( -68.3,   30.8,  -16.2), ( -66.6,   46.6,  -18.3),
    ( -62.4,   63.3,  -23.3), ( -56.3,   76.9,  -32.5), ( -49.2,   87.1,  -42.7), ( -31.8,  102.1,  -57.4),
    (   0.0,  112.9,  -70.3), (  31.8,  102.1,  -57.4), (  49.2,   87.1,  -42.7), (  56.3,   76.9,  -32.5),
    (  62.4,   63.3,  -23.3), (  66.6,   46.6,  -18.3), (  68.3,   30.8,  -16.2), (  68.8,   16.1,  -17.1),
    (  69.4,    1.9,  -21.9),
    # right brow 17-21 (image left), left brow 22-26
    ( -56.0,  -14.8,  -68.7), ( -49.8,  -19.9,  -76.7), ( -40.4,  -22.6,  -83.1), ( -28.2,  -22.0,  -88.5),
    ( -14.3,  -20.2,  -91.3), (  14.3,  -20.2,  -91.3), (  28.2,  -22.0,  -88.5), (  40.4,  -22.6,  -83.1),
    (  49.8,  -19.9,  -76.7), (  56.0,  -14.8,  -68.7),
    # nose bridge 27-30, nostrils 31-35
    (   0.0,   -3.5,  -90.0), (   0.0,   11.8,  -98.7), (   0.0,   26.3, -108.7), (   0.0,   35.0, -110.8),
    ( -13.4,   42.7,  -90.0), (  -7.9,   46.9,  -92.0), (   0.0,   47.1,  -93.5), (   7.9,   46.9,  -92.0),
    (  13.4,   42.7,  -90.0),
    # eyes 36-41 (image left), 42-47
    ( -44.6,   -0.3,  -68.9), ( -37.8,   -3.2,  -75.1), ( -27.6,   -3.8,  -76.8), ( -17.5,    1.0,  -73.8),
    ( -25.6,    3.0,  -75.6), ( -35.8,    3.2,  -73.9), (  17.5,    1.0,  -73.8), (  27.6,   -3.8,  -76.8),
    (  37.8,   -3.2,  -75.1), (  44.6,   -0.3,  -68.9), (  35.8,    3.2,  -73.9), (  25.6,    3.0,  -75.6),
    # outer lip 48-59
    ( -25.5,   67.8,  -73.9), ( -15.4,   62.1,  -88.3), (  -7.7,   60.5,  -91.9), (   0.0,   61.6,  -92.6),
    (   7.7,   60.5,  -91.9), (  15.4,   62.1,  -88.3), (  25.5,   67.8,  -73.9), (  14.0,   76.4,  -84.1),
    (   7.4,   78.7,  -86.5), (   0.0,   79.3,  -87.0), (  -7.4,   78.7,  -86.5), ( -14.0,   76.4,  -84.1),
    # inner lip 60-67
    ( -21.9,   67.4,  -75.6), (  -5.8,   67.1,  -86.2), (   0.0,   67.3,  -87.0), (   5.8,   67.1,  -86.2),
    (  21.9,   67.4,  -75.6), (   6.1,   70.1,  -84.9), (   0.0,   70.3,  -85.6), (  -6.1,   70.1,  -84.9),
], np.float64)
# fmt: on

TEMPLATE_68: np.ndarray = _TEMPLATE_MM / 1000.0
"""[68, 3] generic face, iBUG order, metres, head frame (x right in a frontal view, y down, z into the head)."""
TEMPLATE_68.setflags(write=False)

RIGID_POINTS: tuple[int, ...] = tuple(range(17, 36)) + (36, 39, 40, 41, 42, 45, 46, 47)
"""iBUG indices fitted by default: brows, nose, eye corners and lower lids (see the module docstring)."""

IBUG_FLIP: tuple[int, ...] = (
    tuple(range(16, -1, -1)) + tuple(range(26, 16, -1)) + (27, 28, 29, 30) + (35, 34, 33, 32, 31)
    + (45, 44, 43, 42, 47, 46) + (39, 38, 37, 36, 41, 40)
    + (54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55) + (64, 63, 62, 61, 60, 67, 66, 65)
)
"""The iBUG index of each point's mirror image (left ↔ right)."""

INTERPUPILLARY_M = 0.063
"""Mean adult interpupillary distance (Dodgson 2004): the template's metric scale."""
HEAD_CENTRE_BEHIND_NASION_M = 0.090
"""Depth of the template's origin behind point 27 (≈ half the mean head length)."""


def _similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(s, R, t) minimising Σ‖s R a + t − b‖² (Umeyama, proper rotation)."""
    ma, mb = a.mean(0), b.mean(0)
    a0, b0 = a - ma, b - mb
    u, sig, vt = np.linalg.svd(b0.T @ a0)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    r = u @ d @ vt
    s = float((sig * np.diag(d)).sum() / (a0**2).sum())
    return s, r, mb - s * r @ ma


def derive_template(vertices: np.ndarray) -> np.ndarray:
    """The 68-point template [68,3] (metres, head frame) from face-mesh vertices [N,468,3] in image axes.

    The recipe of the module docstring (Procrustes mean, iBUG mapping, symmetry, axes, scale, origin).
    """
    from talkbench.zoo.mediapipe import MESH_TO_IBUG68

    v = np.asarray(vertices, np.float64)
    if v.ndim != 3 or v.shape[1:] != (468, 3) or len(v) < 2:
        raise InputError(f"derive_template needs mesh vertices [N>=2,468,3], got {v.shape}")
    # 1. generalised Procrustes mean of the full meshes
    mean = v[0] - v[0].mean(0)
    for _ in range(50):
        aligned = np.empty_like(v)
        for i, x in enumerate(v):
            s, r, t = _similarity(x, mean)
            aligned[i] = s * x @ r.T + t
        new = aligned.mean(0)
        new -= new.mean(0)
        new *= math.sqrt((mean**2).sum() / (new**2).sum())
        done = np.abs(new - mean).max() < 1e-9 * np.abs(mean).max()
        mean = new
        if done:
            break
    # 2. iBUG points, symmetric
    flip = np.asarray(IBUG_FLIP)
    p = mean[np.asarray(MESH_TO_IBUG68)]
    q = (p * (-1.0, 1.0, 1.0))[flip]
    s, r, t = _similarity(q, p)
    p = 0.5 * (p + s * q @ r.T + t)
    # 3. axes: the symmetry-plane normal becomes +x ...
    d = np.array([p[int(flip[i])] - p[i] for i in range(68) if flip[i] > i])  # between mirror pairs
    d *= np.sign(d @ (p[45] - p[36]))[:, None]  # each towards the image's right (outer eye corner 36 → 45)
    n = (d / np.linalg.norm(d, axis=1, keepdims=True)).mean(0)
    n /= np.linalg.norm(n)
    axis = np.cross(n, (1.0, 0.0, 0.0))
    ang = math.atan2(np.linalg.norm(axis), float(n[0]))
    r0 = so3.rotvec_to_matrix(axis / max(np.linalg.norm(axis), 1e-12) * ang)
    p = (p - p.mean(0)) @ r0.T
    # ... and the mean pitch of the photos (rigid points, image axes) is zero
    rig = np.asarray(RIGID_POINTS)
    pitches = []
    for x in v[:, np.asarray(MESH_TO_IBUG68)]:
        _, r, _ = _similarity(p[rig], x[rig])
        pitches.append(math.atan2(r[2, 1], r[2, 2]))  # x angle of R = Rz·Ry·Rx
    p = p @ so3.rot_x(float(np.mean(pitches))).T
    # 4. scale: interpupillary distance ≈ distance of the eye-contour centres
    p *= INTERPUPILLARY_M / np.linalg.norm(p[42:48].mean(0) - p[36:42].mean(0))
    # 5. origin: symmetry plane, eye level, ~half a head length behind the nose bridge
    origin = np.array([0.0, p[36:48, 1].mean(), p[27, 2] + HEAD_CENTRE_BEHIND_NASION_M])
    p = p - origin
    return 0.5 * (p + (p * (-1.0, 1.0, 1.0))[flip])  # exactly symmetric about x = 0


def lfw_mesh_vertices() -> np.ndarray:
    """mediapipe face-mesh vertices [N,468,3] (pixels) of skimage's LFW subset faces (the template's data).

    Each 25×25 face is upscaled ×8 (bicubic) and padded by 100 px (edge replicated) so the detector
    finds it; images without a detection are skipped.
    """
    import skimage.data

    from talkbench.zoo.mediapipe import face_mesh

    faces = skimage.data.lfw_subset()[:100]  # the first 100 are the faces, the rest non-faces
    out = []
    with face_mesh(min_detection_confidence=0.5) as mesh:
        for face in faces:
            u8 = (np.clip(face, 0.0, 1.0) * 255).astype(np.uint8)
            big = cv2.copyMakeBorder(cv2.resize(u8, (200, 200), interpolation=cv2.INTER_CUBIC), 100, 100, 100, 100,
                                     cv2.BORDER_REPLICATE)
            result = mesh.process(np.ascontiguousarray(np.dstack([big] * 3)))
            if result.multi_face_landmarks:
                lm = result.multi_face_landmarks[0].landmark
                out.append(np.array([(q.x, q.y, q.z) for q in lm], np.float64) * big.shape[1])
    return np.array(out)


# ----------------------------------------------------------------------------- the fit


@dataclass
class HeadPoseFit:
    """Head poses of a video and the camera they were fitted with."""

    poses: np.ndarray
    """[T,4,4] head→camera (metres, OpenCV camera axes), smoothed, every frame filled."""
    intrinsics: dict[str, float]
    """fx, fy, cx, cy (pixels), width, height."""
    rmse: np.ndarray
    """[T] reprojection RMSE (px) of `poses` over the fitted points; NaN where no face was found."""
    focal: float
    """The focal length used (px): found by the search unless given."""
    focal_curve: np.ndarray
    """[K,2] (focal px, mean squared reprojection error px²) of each focal tried, by focal; empty if given."""
    raw_poses: np.ndarray
    """[T,4,4] per-frame PnP before smoothing (frames without a face interpolated)."""
    raw_rmse: np.ndarray
    """[T] reprojection RMSE (px) of `raw_poses`; NaN where no face was found."""
    found: np.ndarray
    """[T] bool: the frame had all the fitted landmarks."""
    points: tuple[int, ...]
    """iBUG indices fitted."""
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def camera_matrix(self) -> np.ndarray:
        """3×3 K."""
        i = self.intrinsics
        return camera.camera_matrix(i["fx"], i["fy"], i["cx"], i["cy"])


def _pnp(obj: np.ndarray, img: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(rvec, tvec, sum of squared residuals px²) of one frame: SQPnP, then LM refinement; NaNs if it fails."""
    # SQPnP refuses image points whose normalised spread ((u − c)/f) has a variance below 1e-5
    # (a long focal, a small face): solve with a shorter focal that keeps the image points (the
    # face then sits proportionally closer), and start LM from that pose moved out to this focal.
    f = float(k[0, 0])
    spread = float((((img - k[:2, 2]) / f) ** 2).mean(0).sum() - (((img - k[:2, 2]) / f).mean(0) ** 2).sum())
    shrink = min(1.0, math.sqrt(max(spread, 1e-300) / 1e-4))
    ks = k.copy()
    ks[0, 0] = ks[1, 1] = f * shrink
    try:
        ok, rvec, tvec = cv2.solvePnP(obj, img, ks, None, flags=cv2.SOLVEPNP_SQPNP)
        if ok:
            rvec, tvec = cv2.solvePnPRefineLM(obj, img, k, None, rvec, tvec / shrink)
    except cv2.error:  # degenerate landmarks (all on one spot)
        ok = False
    if not ok or not np.isfinite(tvec).all() or tvec[2, 0] <= 0:
        return np.full(3, np.nan), np.full(3, np.nan), math.nan
    proj = cv2.projectPoints(obj, rvec, tvec, k, None)[0].reshape(-1, 2)
    return rvec.ravel(), tvec.ravel(), float(((proj - img) ** 2).sum())


def _fit_frames(obj: np.ndarray, pts: np.ndarray, k: np.ndarray,
                desc: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame PnP of frames [F,N,2]: rvecs [F,3], tvecs [F,3], sums of squared residuals [F] (NaN: failed)."""
    rv, tv, sse = np.empty((len(pts), 3)), np.empty((len(pts), 3)), np.empty(len(pts))
    it = tqdm(range(len(pts)), desc=desc, unit="frame", leave=False, disable=None) if desc else range(len(pts))
    for i in it:
        rv[i], tv[i], sse[i] = _pnp(obj, pts[i], k)
    return rv, tv, sse


def log_focal_search(error: Callable[[float], float], focal_range: tuple[float, float], grid: int, iterations: int,
                     what: str = "head pose", progress: bool = True) -> tuple[float, np.ndarray]:
    """Minimise `error(focal)` over `focal_range`: a log-spaced grid, then golden section (in log focal) between the
    grid minimum's neighbours. Returns (best focal, [K,2] (focal, error) of every focal tried, sorted by focal)."""
    lo, hi = float(focal_range[0]), float(focal_range[1])
    if not 0 < lo < hi:
        raise InputError(f"{what}: focal_range must be 0 < low < high, got {focal_range}")
    tried: dict[float, float] = {}

    def cost(log_f: float) -> float:
        f = math.exp(log_f)
        if f not in tried:
            tried[f] = error(f)
        return tried[f]

    logs = np.linspace(math.log(lo), math.log(hi), grid)
    costs = [cost(x) for x in tqdm(logs, desc="focal search", unit="focal", leave=False, disable=None if progress else True)]
    j = int(np.argmin(costs))
    a, b = logs[max(j - 1, 0)], logs[min(j + 1, grid - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = cost(c), cost(d)
    for _ in range(iterations):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = cost(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = cost(d)
    best = min(tried, key=tried.get)
    return best, np.array(sorted(tried.items()))


def focal_search(obj: np.ndarray, pts: np.ndarray, image_size: tuple[int, int], focal_range: tuple[float, float],
                 grid: int = 13, iterations: int = 20) -> tuple[float, np.ndarray]:
    """The focal (px) minimising the mean squared PnP reprojection error of frames [F,N,2], and the curve tried.

    `log_focal_search` over `focal_range`. Returns (focal, [K,2] (focal, mean squared error px²) sorted by focal).
    """

    def error(f: float) -> float:
        sse = _fit_frames(obj, pts, camera.intrinsic_matrix(f, image_size))[2]
        return float(np.nanmean(sse) / len(obj)) if np.isfinite(sse).any() else math.inf

    return log_focal_search(error, focal_range, grid, iterations)


def _fill(values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Linear interpolation of rows [T,D] over frames where `found` is False; held at the ends."""
    t = np.arange(len(values))
    out = values.copy()
    for d in range(values.shape[1]):
        out[:, d] = np.interp(t, t[found], values[found, d])
    return out


def _window(smooth: int, n: int) -> int:
    """The Savitzky–Golay window used for `smooth` on n frames: odd (rounded up), at most the clip; < 5 means none."""
    w = int(smooth or 0)
    w += 1 - w % 2
    w = min(w, n if n % 2 else n - 1)
    return w if w >= 5 else 0  # a quadratic fit needs at least 5 frames to smooth anything


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Savitzky–Golay (order 2) along frames of [T,D] (window from `_window`; 0: unchanged)."""
    from scipy.signal import savgol_filter

    return savgol_filter(values, window, 2, axis=0, mode="interp") if window else values.copy()


def checked_track(points: np.ndarray, image_size: tuple[int, int], who: str) -> tuple[np.ndarray, int, int]:
    """(float64 landmarks [T,68,2], H, W) of a landmark track and its image size, or an InputError naming `who`."""
    pts = np.asarray(points, np.float64)
    if pts.ndim != 3 or pts.shape[1:] != (68, 2):
        raise InputError(f"{who}: landmarks must be [T,68,2], got {pts.shape}")
    h, w = (int(v) for v in image_size)
    if h <= 0 or w <= 0:
        raise InputError(f"{who}: image_size must be positive (H, W), got {tuple(image_size)}")
    return pts, h, w


def fit_head_poses(points: np.ndarray, image_size: tuple[int, int], focal: float | None = None,
                   focal_range: tuple[float, float] | None = None, smooth: int = 7,
                   use_points: tuple[int, ...] = RIGID_POINTS, template: np.ndarray | None = None,
                   search_frames: int = 100) -> HeadPoseFit:
    """Head pose per frame of landmarks [T,68,2] (pixels, NaN where no face) in frames of `image_size` (H, W).

    `focal`: the focal length in pixels (fx = fy, principal point at the image centre); None
    searches `focal_range` (pixels; default 0.5–8 × the larger image side) for the one that
    minimises the mean reprojection error over up to `search_frames` evenly spaced frames. The
    curve is often flat (a rigid face seen under small rotations says little about perspective):
    `settings["focal_within_1pct_rmse"]` gives the focal interval whose RMSE is within 1 % of the
    best, `settings["focal_at_bound"]` says the minimum is at the range's end.
    `smooth`: Savitzky–Golay window in frames (order 2; even values round up, shortened to the
    clip; below 5: no smoothing) — 7 frames at 25 fps keep head motion up to ≈ 4 Hz.
    `use_points`: iBUG indices to fit (default `RIGID_POINTS`); `template`: [68,3] head-frame
    points in metres (default `TEMPLATE_68`).

    Frames without all the fitted points (or with degenerate ones) get no PnP: their pose is
    interpolated between the neighbouring fitted frames (held before the first and after the
    last) and their `rmse` is NaN. A wrong detection that still has all points is not caught.
    Raises `InputError` when no frame has a face.
    """
    pts, h, w = checked_track(points, image_size, "head pose")
    idx = np.asarray(use_points, int)
    if len(idx) < 6 or len(set(idx.tolist())) != len(idx) or idx.min() < 0 or idx.max() > 67:
        raise InputError(f"head pose: use_points must be at least 6 distinct iBUG indices 0-67, got {tuple(use_points)}")
    tmpl = TEMPLATE_68 if template is None else np.asarray(template, np.float64)
    if tmpl.shape != (68, 3) or not np.isfinite(tmpl).all():
        raise InputError(f"head pose: template must be finite [68,3] metres, got {tmpl.shape}")
    obj = np.ascontiguousarray(tmpl[idx], np.float64)
    sub = pts[:, idx]
    found = np.isfinite(sub).all(axis=(1, 2))
    n = len(pts)
    if not found.any():
        raise InputError(f"head pose: no face in any of the {n} frames (no frame has all {len(idx)} fitted landmarks)")
    good = np.flatnonzero(found)

    if focal is None:
        rng = focal_range if focal_range is not None else (0.5 * max(h, w), 8.0 * max(h, w))
        pick = good[np.unique(np.linspace(0, len(good) - 1, min(search_frames, len(good))).round().astype(int))]
        focal, curve = focal_search(obj, np.ascontiguousarray(sub[pick]), (h, w), rng)
    else:
        if not focal > 0:
            raise InputError(f"head pose: focal must be positive, got {focal}")
        curve, rng = np.empty((0, 2)), None
    focal = float(focal)
    k = camera.intrinsic_matrix(focal, (h, w))

    rv, tv, sse = _fit_frames(obj, np.ascontiguousarray(sub[good]), k, desc="head pose" if len(good) > 200 else None)
    solved = np.isfinite(sse)
    if not solved.any():
        raise InputError(f"head pose: PnP failed on every one of the {len(good)} frames with a face (degenerate landmarks?)")
    found[good[~solved]] = False
    good, rv, tv = good[solved], rv[solved], tv[solved]
    rots = np.array([so3.rotvec_to_matrix(v) for v in rv])
    ref = so3.chordal_mean(rots)
    logs = np.zeros((n, 3))
    trans = np.zeros((n, 3))
    logs[good] = [so3.matrix_to_rotvec(ref.T @ r) for r in rots]  # small angles about the mean: no wrap
    trans[good] = tv
    logs, trans = _fill(logs, found), _fill(trans, found)

    def assemble(lg: np.ndarray, tr: np.ndarray) -> np.ndarray:
        return camera.pose_matrix(np.array([ref @ so3.rotvec_to_matrix(v) for v in lg]), tr)

    raw = assemble(logs, trans)
    window = _window(smooth, n)
    smoothed = assemble(_smooth(logs, window), _smooth(trans, window))

    def rmse(poses: np.ndarray) -> np.ndarray:
        e = np.full(n, np.nan)
        proj = camera.project_points(obj, poses[good], k)
        e[good] = np.sqrt(((proj - sub[good]) ** 2).sum(-1).mean(-1))
        return e

    intr = {"fx": focal, "fy": focal, "cx": (w - 1) / 2.0, "cy": (h - 1) / 2.0, "width": w, "height": h}
    settings = {"method": "rigid template + SQPnP/LM per frame",
                "template": "TEMPLATE_68 (LFW mediapipe mean)" if template is None else "custom",
                "points": list(map(int, idx)), "smooth": {"filter": "savgol", "window": window, "polyorder": 2},
                "focal_searched": bool(len(curve)), "focal_range": [float(v) for v in rng] if len(curve) else None,
                "frames_without_face": int(n - found.sum())}
    if len(curve):
        settings["focal_at_bound"] = bool(focal <= curve[0, 0] * 1.0001 or focal >= curve[-1, 0] * 0.9999)
        near = curve[curve[:, 1] <= curve[:, 1].min() * 1.01**2, 0]
        settings["focal_within_1pct_rmse"] = [float(near.min()), float(near.max())]
    return HeadPoseFit(poses=smoothed, intrinsics=intr, rmse=rmse(smoothed), focal=focal, focal_curve=curve,
                       raw_poses=raw, raw_rmse=rmse(raw), found=found, points=tuple(map(int, idx)), settings=settings)


# ----------------------------------------------------------------------------- evaluation


def _stats(x: np.ndarray) -> dict[str, float]:
    return {"mean": float(np.mean(x)), "median": float(np.median(x)), "max": float(np.max(x))}


def pose_errors(estimated: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """Errors of head→camera poses [T,4,4] against the truth [T,4,4] (frames with any NaN skipped).

    Rotation (degrees, geodesic), each as {"mean", "median", "max"} over frames:

    - `rotation_deg`: raw, angle(R̂ₜ Rₜᵀ);
    - `rotation_aligned_deg`: after the best constant head-frame rotation G (R̂ₜ ≈ Rₜ G, chordal
      least squares): the template's own definition of "frontal" removed;
    - `relative_rotation_deg`: of the motion relative to frame 0, angle((R̂ₜR̂₀ᵀ)(RₜR₀ᵀ)ᵀ) —
      unaffected by G; what a NeRF's camera path depends on.

    Translation (millimetres), likewise:

    - `translation_mm`: raw ‖t̂ₜ − tₜ‖;
    - `translation_scaled_mm`: ‖s t̂ₜ − tₜ‖ with one least-squares scale s for the clip
      (monocular fits recover the head's distance only up to the template's size vs the real head);
    - `translation_aligned_mm`: ‖s t̂ₜ − Rₜ o − tₜ‖ with s and a constant head-frame origin offset o
      (metres) fitted jointly: scale and the template's choice of origin both removed.

    Also `scale` (s of the scaled error), `aligned_scale`, `origin_offset_mm` (o), `offset_rotation_deg`
    (angle of G) and `frames`. For one number per clip, quote the aligned rotation, the relative
    rotation and the aligned translation; the raw ones include the template's conventions.
    """
    est, tru = np.asarray(estimated, np.float64), np.asarray(truth, np.float64)
    if est.shape != tru.shape or est.ndim != 3 or est.shape[1:] != (4, 4):
        raise InputError(f"pose_errors: estimated {est.shape} and truth {tru.shape} must both be [T,4,4]")
    ok = np.isfinite(est).all(axis=(1, 2)) & np.isfinite(tru).all(axis=(1, 2))
    if not ok.any():
        raise InputError("pose_errors: no frame has both an estimated and a true pose")
    est, tru = est[ok], tru[ok]
    re, rt = est[:, :3, :3], tru[:, :3, :3]
    te, tt = est[:, :3, 3], tru[:, :3, 3]
    g = so3.chordal_mean(np.einsum("tji,tjk->tik", rt, re))  # Σ Rₜᵀ R̂ₜ
    rel_e = np.einsum("tij,kj->tik", re, re[0])
    rel_t = np.einsum("tij,kj->tik", rt, rt[0])
    s = float((te * tt).sum() / max((te * te).sum(), 1e-300))
    # s t̂ − R o ≈ t : linear least squares in (s, o)
    a = np.concatenate([te[:, :, None], -rt], axis=2).reshape(-1, 4)
    sol = np.linalg.lstsq(a, tt.reshape(-1), rcond=None)[0]
    aligned = sol[0] * te - np.einsum("tij,j->ti", rt, sol[1:])
    return {
        "frames": int(ok.sum()),
        "rotation_deg": _stats(so3.geodesic_deg(re, rt)),
        "rotation_aligned_deg": _stats(so3.geodesic_deg(re, rt @ g)),
        "relative_rotation_deg": _stats(so3.geodesic_deg(rel_e, rel_t)),
        "translation_mm": _stats(1000 * np.linalg.norm(te - tt, axis=1)),
        "translation_scaled_mm": _stats(1000 * np.linalg.norm(s * te - tt, axis=1)),
        "translation_aligned_mm": _stats(1000 * np.linalg.norm(aligned - tt, axis=1)),
        "scale": s,
        "aligned_scale": float(sol[0]),
        "origin_offset_mm": [float(v) for v in 1000 * sol[1:]],
        "offset_rotation_deg": float(so3.angle_deg(g)),
    }
