"""A landmark-based 3DMM face tracker: identity, expression, head pose and focal from 68 landmarks (PyTorch).

`bench data prepare --head-pose 3dmm` uses it instead of the rigid template fit
(`talkbench.face3d.template.fit_head_poses`) when a morphable model is installed or given
(`talkbench.face3d.morphable_model`). The result, `FaceTrackFit`, is a `HeadPoseFit` (the same
conventions: head→camera poses [T,4,4] in metres, OpenCV camera axes, the model's head frame;
intrinsics with pixel centres at integer coordinates) with the clip's identity coefficients and
per-frame expression coefficients added.

The fit (maximum a posteriori, one energy, minimised with L-BFGS in float64)
---------------------------------------------------------------------------
Unknowns: identity α [K_id] (one per clip), expression β_t [K_exp], rotation R_t (axis-angle
increment on a per-frame base rotation, so angles never wrap) and translation t_t per frame; the
focal f (fx = fy, principal point at the image centre) is searched, not optimised.

    E = ½ Σ_t Σ_i w_i ‖π_f(R_t (m_i + A_i α + B_i β_t) + t_t) − x_ti‖² / σ²       landmarks
      + ½ Σ_k (α_k / s_id,k)² + ½ Σ_t Σ_k (β_tk / s_exp,k)²                    priors (component std)
      + ½ Σ_t mean_i ‖Δ²(R_t m_i + t_t)‖² / p² + ½ Σ_t Σ_k (Δ²β_tk / s_exp,k)² / q²   temporal smoothness

σ = `landmark_noise` × the clip's median distance between the eye centres (pixels: detector noise
grows with the face); Δ² is the second difference over frames (the official tracker's Laplacian
kernel, up to a factor), on the camera-space positions of the mean face (p = `smooth_pose_m`,
metres) and on the expression (q = `smooth_exp`, in prior standard deviations). The unknowns are
rescaled by the Gauss–Newton diagonal before L-BFGS (their curvatures span four decades).
Weights w_i (`weights`):

* `"face"` (default): every point but the jaw (0–16) with weight 1 — SyncTalk's tracker fits these
  51 points; the jaw is left out because mediapipe's jaw points are face-oval vertices, not the iBUG
  contour, and because the 2D contour slides over the 3D face as the head turns;
* `"all"`: all 68 with weight 1, as the AD-NeRF / ER-NeRF tracker (for FAN landmarks); where the
  model has contour candidates the jaw points slide like theirs (each frame takes the candidate
  projecting outermost, a selection that is not differentiated, as theirs);
* a [68] array of non-negative weights.

Stages (the official tracker's order, with a quasi-Newton solver instead of thousands of Adam steps):

1. focal: on up to `search_frames` evenly spaced frames, for each focal of a log-spaced grid over
   `focal_range` (default 0.5–8 × the larger image side, like the template fit; the official grid
   is 600–1500 px at 512 px) a full fit of α, β, R, t from a PnP start (mean shape); the focal of
   the lowest mean squared landmark error wins, refined by golden-section search between its grid
   neighbours — coarse search then refinement, as the official 100 px grid;
2. every frame: PnP of the mean shape (SQPnP + LM, `head_pose`) as the start, then α, β, R, t
   jointly without the smoothness terms (→ `raw_poses`, `raw_exp_coeffs`);
3. the same with the smoothness terms (→ `poses`, `exp_coeffs`), unless `smooth` is False.

Frames without a face (any weighted landmark NaN) or whose PnP fails have no landmark term; their
pose and expression are then replaced by linear interpolation between the neighbouring frames with
a face (rotations as log maps about the clip's mean rotation; held at the ends), and their `rmse`
is NaN, as in the template fit.

What the official tracker (AD-NeRF `data_util/face_tracking/face_tracker.py`, ER-NeRF's copy) does that this one does not
-------------------------------------------------------------------------------------------------------------------------
* the photometric stage: it renders the full BFM mesh with a texture model (`b_tex`) and spherical
  harmonics lighting through a differentiable rasteriser (pytorch3d) and refines pose, expression
  and identity against the frames' colours in batches, with a Laplacian smoothness term on rigid
  vertices. That needs the full mesh, its texture basis and a mesh renderer; it is left out (the
  landmark-only model file holds just the 68 landmark rows, see `talkbench.face3d.morphable_model`);
* its focal grid is fixed in pixels (600–1500 by 100) and its pose is Euler angles with the face
  starting 0.7 m in front of the camera and Adam for 1 500–2 500 steps per stage; here the focal range
  scales with the image, the start is a PnP and the solver preconditioned L-BFGS (~100–300 steps);
* its landmark loss is the plain mean squared error and its priors are weighted 0.5 / 0.4 on the
  mean squared coefficients; here the same terms are written as a posterior with a stated noise σ;
* it does not interpolate frames without landmarks (its loader skips them).

Measured on the embedded synthetic portrait (550 frames, defaults, focal searched; errors from `head_pose.pose_errors`)
---------------------------------------------------------------------------------------------------------------------
No BFM can be used here, so the model is `morphable_model.lfw_pca_model()` (10 + 10 components from
the 94 LFW face meshes TEMPLATE_68 was made from; nothing of the synthetic portrait). "prepare" is
`bench data prepare` on the portrait written as H.264 (mediapipe landmarks), "exact" the
generator's own 2D landmarks. Rotation mean / max in degrees, translation in mm:

                                   template 128   3dmm 128      template 512   3dmm 512
    prepare  rotation, aligned     2.9 / 8.0      2.7 / 8.9     2.7 / 6.4      2.5 / 5.9
             relative to frame 0   7.3 / 12.7     5.4 / 10.7    5.7 / 10.3     3.6 / 7.5
             raw                   5.5 / 10.3     5.6 / 10.1    3.6 / 7.3      4.5 / 7.7
             translation, aligned  12 / 56        11 / 38       9 / 28         9 / 21
             focal (true 256/1024) 341            1024 (bound)  4096 (bound)   4096 (bound)
    exact    rotation, aligned     2.9 / 6.2      2.8 / 6.1     the same as at 128 px (scale-free)
             relative to frame 0   4.5 / 8.5      4.8 / 8.5
             translation, aligned  5.4 / 10.1     5.6 / 10.0
    head-pose pass, 550 frames     1.2 s          9.6 s         1.4 s          10.1 s

Read with care: (1) mediapipe's landmarks and the LFW model both come from mediapipe's face mesh,
so part of the gain on "prepare" may be that match rather than the 3DMM as such; on the exact
landmarks the tracker is on a par with the template. (2) The synthetic head is an ellipsoid with a
photo painted on it, outside any human-face model (the fit asks for identity coefficients of 3–4
standard deviations), which limits both fits. (3) The expression basis holding the nose and eye
corners still was chosen after a first model (expression = the same PCA as identity) did worse on
the exact landmarks (relative rotation 7.2° mean); that choice was made looking at this clip.
`weights="all"` (jaw included; mediapipe's jaw is the face oval) gives 3.0° / 4.1° aligned / relative
on the exact landmarks but a 1.5 px RMSE. Sanity check, not an evaluation: with the generator's own
3D landmarks as the model (mean + mouth-opening and blink directions) the tracker finds the poses
to 0.5° / 1.6° (aligned, 128 px) and the focal within 4 % (246 vs 256 px): the solver is not the
limit. CPU time per 100 frames (2 shared cores; `benchmarks/test_face_tracker_bench.py`): 0.5–0.9 s
with a 5 + 4 component model and the focal given, 1.3 s searched; 1.5 s / 3.2 s with a model of the
official size (100 + 79 components, 20 contour candidates, all 68 points); the template fit 0.25 s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from talkbench.face3d.template import HeadPoseFit, _fill, _pnp, checked_track
from talkbench.face3d.morphable_model import MorphableModel, validate
from talkbench.core.errors import InputError
from talkbench.geometry import camera, so3

JAW = tuple(range(17))
WEIGHT_PRESETS = ("face", "all")


@dataclass
class FaceTrackFit(HeadPoseFit):
    """A `HeadPoseFit` from the 3DMM tracker, with the model coefficients."""

    id_coeffs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """[K_id] identity coefficients of the clip."""
    exp_coeffs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """[T,K_exp] expression coefficients per frame (smoothed; frames without a face interpolated)."""
    raw_exp_coeffs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """[T,K_exp] expression coefficients before the smoothness terms."""
    weights: np.ndarray = field(default_factory=lambda: np.zeros(68))
    """[68] landmark weights used."""
    model: dict[str, Any] = field(default_factory=dict)
    """`MorphableModel.summary()` of the model fitted."""


def landmark_weights(spec: str | np.ndarray) -> np.ndarray:
    """The [68] landmark weights of a preset (`"face"`, `"all"`, see the module docstring) or an array."""
    if isinstance(spec, str):
        if spec not in WEIGHT_PRESETS:
            raise InputError(f"face tracker: weights must be one of {', '.join(WEIGHT_PRESETS)} or a [68] array, got {spec!r}")
        w = np.ones(68)
        if spec == "face":
            w[list(JAW)] = 0.0
        return w
    w = np.asarray(spec, np.float64)
    if w.shape != (68,) or not np.isfinite(w).all() or (w < 0).any() or (w > 0).sum() < 6:
        raise InputError("face tracker: weights must be [68] finite, non-negative, with at least 6 positive")
    return w


# ----------------------------------------------------------------------------- the energy


TRANSLATION_UNIT_M = 0.1
"""Translation unknowns are in decimetres (a face's size), so every unknown has a comparable scale for L-BFGS."""


class _Problem:
    """The energy of the module docstring on frames [F,68,2] at one focal (torch tensors on `device`)."""

    def __init__(self, model: MorphableModel, points: np.ndarray, weights: np.ndarray, focal: float,
                 centre: tuple[float, float], sigma_px: float, device: str) -> None:
        import torch

        self.torch = torch
        self.device = device

        def t(x: Any) -> Any:
            return torch.as_tensor(np.asarray(x, np.float64), device=device)

        finite = np.isfinite(points).all(-1)
        self.obs = t(np.where(finite[..., None], points, 0.0))
        self.w = t(weights[None, :] * finite)  # [F,68]: a missing point has no term
        self.used = weights > 0
        self.mean, self.a, self.b = t(model.mean), t(model.id_basis), t(model.exp_basis)
        self.s_id, self.s_exp = t(model.id_std), t(model.exp_std)
        self.contour = model.has_contour and bool(weights[list(JAW)].any())
        if self.contour:
            self.cm, self.ca, self.cb = t(model.contour_mean), t(model.contour_id), t(model.contour_exp)
        self.f, self.cx, self.cy = float(focal), float(centre[0]), float(centre[1])
        self.sigma = float(sigma_px)
        n = len(points)
        self.alpha = torch.zeros(model.n_id, dtype=torch.float64, device=device)
        self.beta = torch.zeros(n, model.n_exp, dtype=torch.float64, device=device)
        self.omega = torch.zeros(n, 3, dtype=torch.float64, device=device)
        self.delta = torch.zeros(n, 3, dtype=torch.float64, device=device)
        self.r0 = torch.eye(3, dtype=torch.float64, device=device).repeat(n, 1, 1)
        self.t0 = torch.zeros(n, 3, dtype=torch.float64, device=device)

    # -- state
    def set_pose(self, rotations: np.ndarray, translations: np.ndarray) -> None:
        """Base rotations [F,3,3] and translations [F,3] (metres); increments reset to zero."""
        self.r0 = self.torch.as_tensor(rotations, dtype=self.torch.float64, device=self.device).clone()
        self.t0 = self.torch.as_tensor(translations, dtype=self.torch.float64, device=self.device).clone()
        self.omega.zero_()
        self.delta.zero_()

    def relinearise(self) -> None:
        """Fold the increments into the base pose (keeps the axis-angle increments small)."""
        with self.torch.no_grad():
            self.set_pose(*self.pose(self.omega, self.delta))

    # -- model
    def shapes(self, alpha: Any, beta: Any, rot: Any, trans: Any, slide: bool = True) -> Any:
        """Head-frame landmarks [F,68,3]; the jaw slides over the contour candidates when those are fitted."""
        torch = self.torch
        shape = self.mean + self.a @ alpha + torch.einsum("ijk,fk->fij", self.b, beta)
        if not (self.contour and slide):
            return shape
        cand = self.cm + self.ca @ alpha + torch.einsum("icjk,fk->ficj", self.cb, beta)  # [F,17,C,3]
        with torch.no_grad():  # which candidate is on the silhouette: a selection, not differentiated
            cam = torch.einsum("fab,ficb->fica", rot, cand) + trans[:, None, None, :]
            u = cam[..., 0] / cam[..., 2].clamp_min(1e-6)
            pick = torch.cat([u[:, :8].argmin(-1), u[:, 8:].argmax(-1)], dim=1)  # [F,17]; the chin's candidates coincide
        jaw = torch.gather(cand, 2, pick[:, :, None, None].expand(-1, -1, 1, 3))[:, :, 0]
        return torch.cat([jaw, shape[:, 17:]], dim=1)

    def project(self, shape: Any, rot: Any, trans: Any) -> Any:
        """Pixels [F,68,2] of head-frame points [F,68,3]."""
        cam = shape @ rot.transpose(1, 2) + trans[:, None, :]
        # a face behind the camera has no projection: the depth floor keeps the energy finite
        return camera.project(cam, self.f, self.f, self.cx, self.cy, min_depth=1e-6)

    def pose(self, omega: Any, delta: Any) -> tuple[Any, Any]:
        """Rotations [F,3,3] and translations [F,3] (metres) of pose increments on the base pose."""
        return self.r0 @ so3.rodrigues(omega), self.t0 + TRANSLATION_UNIT_M * delta

    def landmark_residuals(self, alpha: Any, beta: Any, omega: Any, delta: Any, slide: bool = True) -> Any:
        """Residuals [F,68,2] (pixels) of the landmarks for the given unknowns."""
        rot, trans = self.pose(omega, delta)
        return self.project(self.shapes(alpha, beta, rot, trans, slide), rot, trans) - self.obs

    def residuals(self) -> Any:
        """Landmark residuals [F,68,2] in pixels at the current state."""
        return self.landmark_residuals(self.alpha, self.beta, self.omega, self.delta)

    def energy(self, params: list[Any], smooth: dict[str, float] | None) -> Any:
        """E of the module docstring at unknowns [α, β, ω, δ] (smoothness terms only when `smooth` is given)."""
        alpha, beta, omega, delta = params
        r = self.landmark_residuals(alpha, beta, omega, delta)
        e = 0.5 * (self.w * (r * r).sum(-1)).sum() / self.sigma**2
        e = e + 0.5 * ((alpha / self.s_id) ** 2).sum() + 0.5 * ((beta / self.s_exp) ** 2).sum()
        if smooth and len(beta) >= 3:
            rot, trans = self.pose(omega, delta)
            rigid = self.mean @ rot.transpose(1, 2) + trans[:, None, :]
            d2 = rigid[2:] - 2.0 * rigid[1:-1] + rigid[:-2]
            e = e + 0.5 * (d2 * d2).sum(-1).mean(-1).sum() / smooth["pose_m"] ** 2
            b = beta / self.s_exp
            db = b[2:] - 2.0 * b[1:-1] + b[:-2]
            e = e + 0.5 * (db * db).sum() / smooth["exp"] ** 2
        return e

    def curvature(self, smooth: dict[str, float] | None = None) -> list[Any]:
        """Diagonal of the Gauss–Newton Hessian of E, per unknown (shapes of [α, β, ω, δ]).

        Analytic at the current state with the jaw held at its mean candidates (it only scales the
        unknowns): a point X = R s + t projects with Jacobian P = f/z [[1, 0, −x/z], [0, 1, −y/z]];
        its derivative along ω_k is R (e_k × s), along δ_k 0.1 e_k, along α_k R A_k, along β_k R B_k.
        """
        torch = self.torch
        with torch.no_grad():
            rot, trans = self.pose(self.omega, self.delta)
            shape = self.shapes(self.alpha, self.beta, rot, trans, slide=False)  # [F,68,3]
            cam = shape @ rot.transpose(1, 2) + trans[:, None, :]
            z = cam[..., 2].clamp_min(1e-6)
            zero = torch.zeros_like(z)
            proj = (self.f / z)[..., None, None] * torch.stack([
                torch.stack([torch.ones_like(z), zero, -cam[..., 0] / z], -1),
                torch.stack([zero, torch.ones_like(z), -cam[..., 1] / z], -1)], -2)  # [F,68,2,3]
            pr = proj @ rot[:, None]  # [F,68,2,3]: derivative of the pixels along head-frame displacements
            weight = self.w / self.sigma**2  # [F,68]

            def diag(columns: Any) -> Any:  # columns [F,68,2,K] of pixels per unknown → Σ_i w |·|² [F,K]
                return torch.einsum("fi,fiak->fk", weight, columns * columns)

            cross = torch.stack([torch.linalg.cross(torch.eye(3, dtype=shape.dtype, device=shape.device)[k].expand_as(shape),
                                                    shape) for k in range(3)], -1)  # [F,68,3,3]: e_k × s
            d_omega = diag(pr @ cross)
            d_delta = diag(proj @ rot.new_tensor(np.eye(3) * TRANSLATION_UNIT_M))  # translation is in camera axes
            d_alpha = diag(torch.einsum("fiab,ibk->fiak", pr, self.a)).sum(0) + 1.0 / self.s_id**2
            d_beta = diag(torch.einsum("fiab,ibk->fiak", pr, self.b)) + 1.0 / self.s_exp**2
            if smooth:  # a frame enters three second differences, with weights 1, −2, 1: 1 + 4 + 1 = 6
                arm = (self.mean * self.mean).sum(-1, keepdim=True) - self.mean * self.mean  # |e_k × m|², [68,3]
                d_omega = d_omega + 6.0 * arm.mean(0) / smooth["pose_m"] ** 2
                d_delta = d_delta + 6.0 * TRANSLATION_UNIT_M**2 / smooth["pose_m"] ** 2
                d_beta = d_beta + 6.0 / (self.s_exp * smooth["exp"]) ** 2
            # a frame without landmarks has no curvature in its pose: borrow the typical frame's scale
            for d in (d_omega, d_delta):
                typical = d[d > 0].median() if bool((d > 0).any()) else d.new_tensor(1.0)
                d[d <= 0] = typical
        return [d_alpha, d_beta, d_omega, d_delta]

    def minimise(self, smooth: dict[str, float] | None, iterations: int) -> int:
        """L-BFGS over α, β and the pose increments; returns the number of energy evaluations.

        The unknowns are rescaled by the Gauss–Newton diagonal (Jacobi preconditioning): L-BFGS then
        needs several times fewer steps than on the raw unknowns, whose curvatures span four decades.
        """
        torch = self.torch
        params = [self.alpha, self.beta, self.omega, self.delta]
        scales = [1.0 / d.clamp_min(1e-12).sqrt() for d in self.curvature(smooth)]
        xs = [(p / s).detach().requires_grad_(True) for p, s in zip(params, scales)]
        opt = torch.optim.LBFGS(xs, lr=1.0, max_iter=iterations, max_eval=int(iterations * 1.5), history_size=30,
                                tolerance_grad=1e-7, tolerance_change=1e-12, line_search_fn="strong_wolfe")
        calls = [0]

        def closure() -> Any:
            opt.zero_grad()
            e = self.energy([x * s for x, s in zip(xs, scales)], smooth)
            e.backward()
            calls[0] += 1
            return e

        opt.step(closure)
        with torch.no_grad():
            for p, x, s in zip(params, xs, scales):
                p.copy_(x * s)
        self.relinearise()
        return calls[0]

    def mean_squared_error(self) -> float:
        """Weighted mean squared landmark error (px²) at the current state."""
        with self.torch.no_grad():
            r = self.residuals()
            return float((self.w * (r * r).sum(-1)).sum() / self.w.sum())

    def frame_rmse(self) -> np.ndarray:
        """[F] RMSE (px) over the fitted points of each frame (unweighted; NaN without any)."""
        with self.torch.no_grad():
            r = self.residuals()
            used = (self.w > 0).to(r.dtype)
            sq = ((r * r).sum(-1) * used).sum(-1) / used.sum(-1).clamp_min(1)
            out = sq.sqrt().cpu().numpy()
        out[(used.sum(-1) == 0).cpu().numpy()] = np.nan
        return out


# ----------------------------------------------------------------------------- helpers


def _pnp_start(model: MorphableModel, points: np.ndarray, used: np.ndarray, k: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame PnP of the mean shape on the weighted points: rotations [F,3,3], translations [F,3], solved [F]."""
    obj = np.ascontiguousarray(model.mean[used], np.float64)
    n = len(points)
    rots, trans, ok = np.tile(np.eye(3), (n, 1, 1)), np.zeros((n, 3)), np.zeros(n, bool)
    for i in range(n):
        img = points[i, used]
        if not np.isfinite(img).all():
            continue
        rv, tv, sse = _pnp(obj, np.ascontiguousarray(img, np.float64), k)
        if np.isfinite(sse):
            rots[i], trans[i], ok[i] = so3.rotvec_to_matrix(rv), tv, True
    return rots, trans, ok


def _interpolate_poses(rots: np.ndarray, trans: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotations/translations of frames without a face interpolated between those with one (held at the ends)."""
    ref = so3.chordal_mean(rots[found])
    logs = np.array([so3.matrix_to_rotvec(ref.T @ r) for r in rots])  # small angles about the clip's mean: no wrap
    logs, tr = _fill(logs, found), _fill(trans, found)
    return np.array([ref @ so3.rotvec_to_matrix(v) for v in logs]), tr


def _fit(model: MorphableModel, points: np.ndarray, weights: np.ndarray, focal: float, size: tuple[int, int],
         sigma: float, device: str, iterations: int) -> tuple[_Problem, np.ndarray, int]:
    """Stage-2 fit (no smoothness) of frames [F,68,2] at `focal`: (problem, frames solved, energy evaluations)."""
    k = camera.intrinsic_matrix(focal, size)
    used = weights > 0
    rots, trans, ok = _pnp_start(model, points, used, k)
    pts = points.copy()
    pts[~ok] = np.nan  # a failed PnP counts as no face
    if not ok.any():
        raise InputError(f"face tracker: PnP failed on every one of the {len(points)} frames (degenerate landmarks?)")
    if not ok.all():
        rots, trans = _interpolate_poses(rots, trans, ok)
    prob = _Problem(model, pts, weights, focal, (float(k[0, 2]), float(k[1, 2])), sigma, device)
    prob.set_pose(rots, trans)
    calls = prob.minimise(None, iterations)
    return prob, ok, calls


def _focal_search(model: MorphableModel, points: np.ndarray, weights: np.ndarray, size: tuple[int, int],
                  focal_range: tuple[float, float], sigma: float, device: str, iterations: int,
                  grid: int = 9, refine: int = 8) -> tuple[float, np.ndarray]:
    """(best focal, [K,2] (focal, mean squared error px²) by focal): `head_pose.log_focal_search` over full model fits."""
    from talkbench.face3d.template import log_focal_search

    def error(f: float) -> float:
        return _fit(model, points, weights, f, size, sigma, device, iterations)[0].mean_squared_error()

    return log_focal_search(error, focal_range, grid, refine, what="face tracker", progress=False)


# ----------------------------------------------------------------------------- the tracker


def track_face(points: np.ndarray, image_size: tuple[int, int], model: MorphableModel, focal: float | None = None,
               focal_range: tuple[float, float] | None = None, smooth: bool = True, weights: str | np.ndarray = "face",
               landmark_noise: float = 0.02, smooth_pose_m: float = 0.002, smooth_exp: float = 1.0,
               search_frames: int = 20, iterations: int = 150, device: str = "cpu") -> FaceTrackFit:
    """Fit the morphable `model` to landmarks [T,68,2] (pixels, NaN where no face) in frames of `image_size` (H, W).

    `focal`: pixels (fx = fy, principal point at the image centre), None searches `focal_range`
    (default 0.5–8 × the larger side) on up to `search_frames` frames; `smooth`: add the temporal
    terms (`smooth_pose_m`: metres, `smooth_exp`: prior stds, per frame²); `weights`: "face", "all"
    or [68]; `landmark_noise`: σ as a fraction of the eye-centre distance; `iterations`: L-BFGS
    iterations per stage; `device`: torch device ("cuda" when available and asked for). See the
    module docstring. Raises `InputError` when no frame has a face.
    """
    from talkbench.infra.devices import resolve_device

    pts, h, w = checked_track(points, image_size, "face tracker")
    model = validate(model)
    wts = landmark_weights(weights)
    used = wts > 0
    for name, value in (("landmark_noise", landmark_noise), ("smooth_pose_m", smooth_pose_m), ("smooth_exp", smooth_exp)):
        if not value > 0:
            raise InputError(f"face tracker: {name} must be positive, got {value}")
    n = len(pts)
    found = np.isfinite(pts[:, used]).all(axis=(1, 2))
    if not found.any():
        raise InputError(f"face tracker: no face in any of the {n} frames (no frame has all {int(used.sum())} fitted landmarks)")
    device = resolve_device(device)
    import torch

    threads = torch.get_num_threads()
    if device == "cpu":
        # The tensors are small (frames × 68 points × components): one thread is fastest, and several
        # threads slow down many-fold when the cores are shared. Restored when the fit ends.
        torch.set_num_threads(1)
    try:
        return _track(pts, (h, w), model, wts, found, focal, focal_range, smooth, weights, landmark_noise,
                      smooth_pose_m, smooth_exp, search_frames, iterations, device)
    finally:
        torch.set_num_threads(threads)


def _track(pts: np.ndarray, size: tuple[int, int], model: MorphableModel, wts: np.ndarray, found: np.ndarray,
           focal: float | None, focal_range: tuple[float, float] | None, smooth: bool, weights: str | np.ndarray,
           landmark_noise: float, smooth_pose_m: float, smooth_exp: float, search_frames: int, iterations: int,
           device: str) -> FaceTrackFit:
    """`track_face` after its checks (arguments as there; `found` [T]: frames with every weighted landmark)."""
    h, w = size
    n = len(pts)
    used = wts > 0
    good = np.flatnonzero(found)
    iod = np.linalg.norm(pts[good, 42:48].mean(1) - pts[good, 36:42].mean(1), axis=-1)
    iod = float(np.median(iod[np.isfinite(iod)])) if np.isfinite(iod).any() else 0.1 * max(h, w)  # eyes not detected: a guess
    sigma = max(landmark_noise * iod, 1e-3)
    masked = np.where(found[:, None, None], pts, np.nan)
    masked[:, ~used] = np.where(np.isfinite(masked[:, ~used]), masked[:, ~used], 0.0)  # unweighted points: any value

    if focal is None:
        rng = tuple(focal_range) if focal_range is not None else (0.5 * max(h, w), 8.0 * max(h, w))
        pick = good[np.unique(np.linspace(0, len(good) - 1, min(search_frames, len(good))).round().astype(int))]
        focal, curve = _focal_search(model, masked[pick], wts, (h, w), rng, sigma, device, iterations)
    else:
        if not focal > 0:
            raise InputError(f"face tracker: focal must be positive, got {focal}")
        curve, rng = np.empty((0, 2)), None
    focal = float(focal)

    prob, ok, calls = _fit(model, masked, wts, focal, (h, w), sigma, device, iterations)
    found &= ok
    raw_rmse = prob.frame_rmse()
    with prob.torch.no_grad():
        raw_rot, raw_tr = (x.cpu().numpy() for x in prob.pose(prob.omega, prob.delta))
        raw_exp = prob.beta.cpu().numpy().copy()
    smooth_cfg = {"pose_m": float(smooth_pose_m), "exp": float(smooth_exp)} if smooth else None
    if smooth_cfg:
        calls += prob.minimise(smooth_cfg, iterations)
    rmse = prob.frame_rmse()
    with prob.torch.no_grad():
        rot, tr = (x.cpu().numpy() for x in prob.pose(prob.omega, prob.delta))
        exp = prob.beta.cpu().numpy().copy()
        alpha = prob.alpha.cpu().numpy().copy()
    if not found.all():  # no landmark term there: take the neighbours' values, as the template fit does
        raw_rot, raw_tr = _interpolate_poses(raw_rot, raw_tr, found)
        rot, tr = _interpolate_poses(rot, tr, found)
        raw_exp, exp = _fill(raw_exp, found), _fill(exp, found)
        rmse[~found] = raw_rmse[~found] = np.nan

    intr = {"fx": focal, "fy": focal, "cx": (w - 1) / 2.0, "cy": (h - 1) / 2.0, "width": w, "height": h}
    settings: dict[str, Any] = {
        "method": "3DMM landmark fit (identity per clip, expression/pose per frame), L-BFGS MAP",
        "model": model.name, "weights": weights if isinstance(weights, str) else "custom",
        "points": [int(i) for i in np.flatnonzero(used)], "sliding_jaw": bool(prob.contour),
        "landmark_noise": float(landmark_noise), "sigma_px": float(sigma),
        "smooth": {"pose_m": float(smooth_pose_m), "exp": float(smooth_exp)} if smooth else None,
        "focal_searched": bool(len(curve)), "focal_range": [float(v) for v in rng] if len(curve) else None,
        "frames_without_face": int(n - found.sum()), "iterations": int(iterations), "energy_evaluations": int(calls),
        "device": device, "photometric_stage": False,
    }
    if len(curve):
        settings["focal_at_bound"] = bool(focal <= curve[0, 0] * 1.0001 or focal >= curve[-1, 0] * 0.9999)
        near = curve[curve[:, 1] <= curve[:, 1].min() * 1.01**2, 0]
        settings["focal_within_1pct_rmse"] = [float(near.min()), float(near.max())]
    return FaceTrackFit(poses=camera.pose_matrix(rot, tr), intrinsics=intr, rmse=rmse, focal=focal, focal_curve=curve,
                        raw_poses=camera.pose_matrix(raw_rot, raw_tr), raw_rmse=raw_rmse, found=found,
                        points=tuple(int(i) for i in np.flatnonzero(used)), settings=settings, id_coeffs=alpha,
                        exp_coeffs=exp, raw_exp_coeffs=raw_exp, weights=wts, model=model.summary())
