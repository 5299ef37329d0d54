"""Throughput of the 3DMM face tracker (bench/face3d/tracker.py) on CPU, frames/s.

550 frames (the synthetic portrait's length) at 512 px, 0.5 px landmark noise, a face 0.8 m away
turning ±8° / ±5°. Two model sizes: a small one (5 identity, 4 expression components) and one of
the official BFM tracker's size (100 identity, 79 expression components, 20 contour candidates per
jaw point, all 68 points fitted with the sliding jaw) with random smooth bases (speed only: such bases are
not face-like, so poses are not checked here — tests/face3d/test_tracker.py checks accuracy); the focal given, or
searched (a log grid then golden section, a fit of 20 frames per focal tried, then every frame).
"""

from __future__ import annotations

import numpy as np
from head_motion import wobble_poses
import pytest

from talkbench.face3d.tracker import track_face
from talkbench.face3d.template import TEMPLATE_68
from talkbench.geometry.camera import intrinsic_matrix, project_points
from talkbench.face3d.morphable_model import MorphableModel

N_FRAMES = 550
SIZE = 512
FOCAL = 2.0 * SIZE


def _smooth_fields(rng: np.random.Generator, k: int, mm: float) -> np.ndarray:
    """k random smooth displacement fields [68,3,k] of TEMPLATE_68 (quadratic in its coordinates, rigid motion
    removed); component j is `mm` / (1 + j/4) millimetres RMS, decaying like a PCA's spectrum."""
    x = TEMPLATE_68 - TEMPLATE_68.mean(0)
    p = x / 0.05
    feats = np.stack([*np.moveaxis(p, -1, 0), *np.moveaxis(p * p, -1, 0),
                      p[:, 0] * p[:, 1], p[:, 1] * p[:, 2], p[:, 0] * p[:, 2]], -1)  # [68,9]
    fields = np.einsum("nf,fck->nck", feats, rng.normal(0.0, 1.0, (feats.shape[-1], 3, k)))
    # remove each field's best-fitting rigid motion ω × x + t: like a Procrustes-aligned PCA's
    # components, a shape change must not imitate a head turn
    rigid = np.concatenate([np.stack([np.cross(np.eye(3)[a], x) for a in range(3)], -1),
                            np.repeat(np.eye(3)[None], 68, 0)], -1).reshape(-1, 6)  # [204,6]
    flat = fields.reshape(-1, k)
    flat = flat - rigid @ np.linalg.lstsq(rigid, flat, rcond=None)[0]
    rms = np.sqrt((flat**2).mean(0))
    return (flat * (mm / 1000.0) / rms / (1.0 + np.arange(k) / 4.0)).reshape(68, 3, k)


def _model(n_id: int, n_exp: int, contour: int, seed: int = 0) -> MorphableModel:
    rng = np.random.default_rng(seed)
    ident, expr = _smooth_fields(rng, n_id, 3.0), _smooth_fields(rng, n_exp, 2.0)
    cand = cid = cexp = None
    if contour:  # candidate 0 is the jaw point itself, the others lie further in (the true silhouette is outermost)
        shrink = np.linspace(1.0, 0.8, contour)[None, :, None]
        cand = TEMPLATE_68[:17, None] * np.concatenate([shrink, np.ones_like(shrink), np.ones_like(shrink)], -1)
        cid = np.repeat(ident[:17, None], contour, 1)
        cexp = np.repeat(expr[:17, None], contour, 1)
    return MorphableModel(mean=TEMPLATE_68.copy(), id_basis=ident, exp_basis=expr, id_std=np.ones(n_id),
                          exp_std=np.ones(n_exp), contour_mean=cand, contour_id=cid, contour_exp=cexp,
                          name=f"random {n_id}/{n_exp}")


def _landmarks(model: MorphableModel) -> np.ndarray:
    rng = np.random.default_rng(1)
    poses = wobble_poses(N_FRAMES)
    t = np.linspace(0.0, 1.0, N_FRAMES)
    beta = 0.8 * np.sin(2 * np.pi * np.outer(t, rng.uniform(1, 10, model.n_exp)) + rng.uniform(0, 6, model.n_exp))
    shapes = model.landmarks(rng.normal(0.0, 1.0, model.n_id), beta)
    k = intrinsic_matrix(FOCAL, (SIZE, SIZE))
    points = np.stack([project_points(shapes[i], poses[i:i + 1], k)[0] for i in range(N_FRAMES)])
    return points + rng.normal(0.0, 0.5, points.shape)


@pytest.mark.parametrize("size,focal", [("small", "given"), ("small", "searched"), ("bfm", "given"), ("bfm", "searched")])
def test_track_face(benchmark, record_throughput, size: str, focal: str) -> None:
    model = _model(5, 4, 0) if size == "small" else _model(100, 79, 20)
    points = _landmarks(model)
    weights = "face" if size == "small" else "all"

    def run() -> None:
        fit = track_face(points, (SIZE, SIZE), model, focal=FOCAL if focal == "given" else None, weights=weights)
        assert fit.found.all() and np.nanmean(fit.rmse) < 1.0  # 0.5 px noise per coordinate: 0.71 px per point

    benchmark.pedantic(run, rounds=2, warmup_rounds=0)
    record_throughput(f"3dmm tracker, {size} model, focal {focal}", benchmark, N_FRAMES)
