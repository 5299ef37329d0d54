"""A morphable face model at the 68 iBUG landmarks: talkbench's safe file format, and where models come from.

The 3DMM face tracker (`talkbench.face3d.tracker`) needs only the model's landmark vertices, so a
model file holds just those rows of the mean shape and of the bases, not the mesh.

The format (`.npz`, plain numeric and string arrays: read with `allow_pickle=False`, no code runs)
--------------------------------------------------------------------------------------------------
    format        str   "talkbench-morphable-model"
    version       int   1
    mean          [68,3]         the mean face at the iBUG 68 points, metres, in the head frame
    id_basis      [68,3,K_id]    identity displacement per unit coefficient, metres (K_id ≥ 0)
    exp_basis     [68,3,K_exp]   expression displacement per unit coefficient, metres (K_exp ≥ 0)
    id_std        [K_id]         prior standard deviation of each identity coefficient (> 0)
    exp_std       [K_exp]        the same for expression (1 where the basis is already scaled by it)
    name          str            short name (recorded in the prepared clip's meta)
    description   str            where the model comes from, its licence, its origin choice
    optional, all three or none — sliding jaw contour (as the official tracker's):
    contour_mean  [17,C,3]       C candidate vertices for each jaw point 0–16
    contour_id    [17,C,3,K_id]
    contour_exp   [17,C,3,K_exp]

    face(α, β) = mean + id_basis · α + exp_basis · β       (α per clip, β per frame)

Head frame (that of `talkbench.face3d.template.TEMPLATE_68`): x to the image's right in a frontal view
(the subject's left), y down, z into the head (away from the camera), metres; a proper rotation of
the model's own axes. The origin is the model's choice (say which in `description`): a head pose is
the transform of this frame, so poses from two models differ by a constant offset that
`head_pose.pose_errors` removes. Jaw contour: in a frame, jaw point i < 8 (the image's left) is
the candidate that projects furthest left, i > 8 the one furthest right, i = 8 (chin) any (all equal).

Where models come from
----------------------
* `bfm2009_3dmm` in the weights registry: `bench weights install bfm2009_3dmm --from
  DIR/3DMM_info.npy` converts (`convert_3dmm_info`) what the official AD-NeRF / ER-NeRF scripts
  build from the Basel Face Model 2009, which its licence does not allow talkbench to ship.
* any model the user writes in the format above (`save_morphable_model`), passed with
  `bench data prepare --head-pose 3dmm --morphable-model FILE.npz`.
* `pca_model`: a mean + PCA model from aligned landmark shapes; `lfw_pca_model` builds one offline
  from the LFW face meshes that TEMPLATE_68 was derived from (`head_pose.lfw_mesh_vertices`; the
  measurements in `talkbench.face3d.tracker` use it).

The official `3DMM_info.npy` (written by `data_util/face_tracking/convert_BFM.py` of AD-NeRF;
ER-NeRF's `data_utils/face_tracking/convert_BFM.py` writes the same)
--------------------------------------------------------------------------------------------
A 0-d numpy object array holding a pickled dict (hence read with a restricted unpickler, below):

    mu_shape  [3N]      BFM 2009 mean shape (`shapeMU`) at the N = 34 650 vertices of AD-NeRF's
                        sub-mesh (`topology_info.npy` `sub_inds`), x y z interleaved, micrometres
    b_shape   [199,3N]  identity principal components (`shapePC`), one per row
    sig_shape [199]     their standard deviations (`shapeEV`)
    mu_exp    [3N]      mean expression offset (from AD-NeRF's `exp_info.npy`)
    b_exp     [K,3N]    expression components (the official tracker uses the first 79)
    sig_exp   [K]       their standard deviations
    mu_tex, b_tex, sig_tex   texture (unused here: no photometric stage)

The official tracker (`facemodel.py`) builds face = mu + (α·sig_shape)·b_shape + (β·sig_exp)·b_exp
with mu = mu_shape + mu_exp minus its centroid over all N vertices, everything divided by 1e5
(micrometres → decimetres), and projects with u = cx − f·X/Z, v = cy + f·Y/Z at Z < 0: BFM axes
are x to the image's right in a frontal view, y up, z out of the face. Its 68 landmarks are the
vertices `keyinds` [68] of `keys_info.npy` (shipped in the AD-NeRF repository next to
`exp_info.npy`, and fetched by ER-NeRF's instructions), except the jaw: points 0–7 slide over
`left_contour` [8,C] and 9–16 over `right_contour` [8,C] (the candidate furthest left / right in
the image). `convert_3dmm_info` keeps exactly this: the official centroid as the origin (so poses
compare with an official import, `talkbench.prepare.official_import`), α and β in the official units
(the bases are multiplied by sig, so id_std = exp_std = 1), its first 100 identity and 79
expression components, and flips y and z (a 180° turn about x) into the head frame above.
"""

from __future__ import annotations

import importlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core.errors import InputError, WeightsMissing

FORMAT = "talkbench-morphable-model"
VERSION = 1
REGISTRY_NAME = "bfm2009_3dmm"
BFM_PAGE = "https://faces.dmi.unibas.ch/bfm/"
OFFICIAL_ID_DIM, OFFICIAL_EXP_DIM = 100, 79
"""Components the official tracker uses (its `id_dim`, `exp_dim`)."""
MICROMETRE = 1e-6
BFM_TO_HEAD = np.diag([1.0, -1.0, -1.0])
"""BFM axes (x right, y up, z out of the face) → head frame (x right, y down, z into the head)."""


@dataclass(frozen=True)
class MorphableModel:
    """A linear face model at the 68 iBUG points (see the module docstring for the arrays)."""

    mean: np.ndarray
    id_basis: np.ndarray
    exp_basis: np.ndarray
    id_std: np.ndarray
    exp_std: np.ndarray
    name: str = "custom"
    description: str = ""
    contour_mean: np.ndarray | None = None
    contour_id: np.ndarray | None = None
    contour_exp: np.ndarray | None = None

    @property
    def n_id(self) -> int:
        """Number of identity components."""
        return int(self.id_basis.shape[2])

    @property
    def n_exp(self) -> int:
        """Number of expression components."""
        return int(self.exp_basis.shape[2])

    @property
    def has_contour(self) -> bool:
        """True when the jaw points slide over contour candidates."""
        return self.contour_mean is not None

    def landmarks(self, id_coeffs: np.ndarray | None = None, exp_coeffs: np.ndarray | None = None) -> np.ndarray:
        """The 68 points [...,68,3] (metres, head frame) for α [K_id] and β [...,K_exp] (None: zeros); fixed jaw points."""
        a = np.zeros(self.n_id) if id_coeffs is None else np.asarray(id_coeffs, np.float64)
        b = np.zeros(self.n_exp) if exp_coeffs is None else np.asarray(exp_coeffs, np.float64)
        return self.mean + self.id_basis @ a + np.einsum("ijk,...k->...ij", self.exp_basis, b)

    def summary(self) -> dict[str, Any]:
        """JSON-ready facts about the model (for meta and logs)."""
        return {"name": self.name, "id_components": self.n_id, "exp_components": self.n_exp,
                "contour_candidates": int(self.contour_mean.shape[1]) if self.has_contour else 0,
                "description": self.description}


def validate(model: MorphableModel, source: str = "morphable model") -> MorphableModel:
    """`model` with float64 arrays, or an InputError naming `source` and the first inconsistency."""
    def arr(x: Any) -> np.ndarray:
        return np.asarray(x, np.float64)

    mean, a, b, sa, sb = (arr(x) for x in (model.mean, model.id_basis, model.exp_basis, model.id_std, model.exp_std))
    problems = []
    if mean.shape != (68, 3):
        problems.append(f"mean must be [68,3], got {list(mean.shape)}")
    if a.ndim != 3 or a.shape[:2] != (68, 3):
        problems.append(f"id_basis must be [68,3,K_id], got {list(a.shape)}")
    if b.ndim != 3 or b.shape[:2] != (68, 3):
        problems.append(f"exp_basis must be [68,3,K_exp], got {list(b.shape)}")
    if not problems and (sa.shape != (a.shape[2],) or sb.shape != (b.shape[2],)):
        problems.append(f"id_std / exp_std must be [K_id] / [K_exp] = [{a.shape[2]}] / [{b.shape[2]}], "
                        f"got {list(sa.shape)} / {list(sb.shape)}")
    contour = [model.contour_mean, model.contour_id, model.contour_exp]
    c = [None if x is None else arr(x) for x in contour]
    if not problems and any(x is not None for x in c):
        if any(x is None for x in c):
            problems.append("contour_mean, contour_id and contour_exp go together (all three or none)")
        elif (c[0].ndim != 3 or c[0].shape[0] != 17 or c[0].shape[2] != 3 or c[0].shape[1] < 1
              or c[1].shape != c[0].shape + (a.shape[2],) or c[2].shape != c[0].shape + (b.shape[2],)):
            problems.append(f"contour arrays must be [17,C,3], [17,C,3,K_id], [17,C,3,K_exp], got "
                            f"{[list(x.shape) for x in c]}")
    if not problems:
        finite = all(np.isfinite(x).all() for x in (mean, a, b, sa, sb, *(x for x in c if x is not None)))
        if not finite:
            problems.append("arrays must be finite")
        elif (sa <= 0).any() or (sb <= 0).any():
            problems.append("id_std and exp_std must be positive")
        elif not 0.04 < float(np.linalg.norm(mean[45] - mean[36])) < 0.2:
            problems.append(f"outer eye corners (points 36, 45) are {1000 * np.linalg.norm(mean[45] - mean[36]):.1f} mm "
                            "apart: the mean must be in metres")
        elif not (mean[36, 0] < mean[45, 0] and mean[19, 1] < mean[8, 1] and mean[27:36, 2].mean() < mean[[0, 16], 2].mean()):
            problems.append("axes are not the head frame's (x to the image's right in a frontal view: point 36 left "
                            "of 45; y down: brow 19 above chin 8; z into the head: the nose 27-35 nearer than the sides 0, 16)")
    if problems:
        raise InputError(f"{source}: not a valid morphable model: {problems[0]}")
    return MorphableModel(mean=mean, id_basis=a, exp_basis=b, id_std=sa, exp_std=sb, name=str(model.name),
                          description=str(model.description), contour_mean=c[0], contour_id=c[1], contour_exp=c[2])


# ----------------------------------------------------------------------------- the file format


def save_morphable_model(model: MorphableModel, path: str | Path) -> Path:
    """Write `model` in the format of the module docstring (float32 arrays); returns the path."""
    m = validate(model)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT), "version": np.array(VERSION), "name": np.array(m.name),
        "description": np.array(m.description),
        **{k: getattr(m, k).astype(np.float32) for k in ("mean", "id_basis", "exp_basis", "id_std", "exp_std")},
    }
    if m.has_contour:
        arrays.update({k: getattr(m, k).astype(np.float32) for k in ("contour_mean", "contour_id", "contour_exp")})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:  # a file object: np.savez would append ".npz" to another suffix
        np.savez(fh, **arrays)
    return path


def load_morphable_model(path: str | Path) -> MorphableModel:
    """Read a model file (numeric and string arrays only, `allow_pickle=False`); InputError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (a morphable model .npz in talkbench's format, see talkbench.face3d.morphable_model)")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npz without pickles ({type(exc).__name__}: {exc})") from exc
    if str(data.get("format", "")) != FORMAT:
        raise InputError(f"{path}: not a talkbench morphable model (no format = {FORMAT!r}; see talkbench.face3d.morphable_model)")
    if int(data.get("version", -1)) != VERSION:
        raise InputError(f"{path}: morphable model version {data.get('version')} (this talkbench reads {VERSION})")
    missing = [k for k in ("mean", "id_basis", "exp_basis", "id_std", "exp_std") if k not in data]
    if missing:
        raise InputError(f"{path}: morphable model lacks {', '.join(missing)}")
    return validate(MorphableModel(mean=data["mean"], id_basis=data["id_basis"], exp_basis=data["exp_basis"],
                                   id_std=data["id_std"], exp_std=data["exp_std"], name=str(data.get("name", path.stem)),
                                   description=str(data.get("description", "")), contour_mean=data.get("contour_mean"),
                                   contour_id=data.get("contour_id"), contour_exp=data.get("contour_exp")), str(path))


# ----------------------------------------------------------------------------- the official 3DMM_info.npy


_NUMPY_GLOBALS = {("multiarray", "_reconstruct"), ("multiarray", "scalar"), ("numpy", "ndarray"), ("numpy", "dtype")}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can build numpy arrays, dtypes and scalars and nothing else (no other callable runs)."""

    def find_class(self, module: str, name: str) -> Any:
        """Resolve only numpy's array-reconstruction globals; refuse everything else."""
        short = module.rsplit(".", 1)[-1] if module.startswith(("numpy.core.", "numpy._core.")) else module
        if (short, name) not in _NUMPY_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only numpy arrays are allowed)")
        if short == "multiarray":  # numpy ≥ 2 moved numpy.core to numpy._core; files say either
            return getattr(importlib.import_module("numpy._core.multiarray" if hasattr(np, "_core") else "numpy.core.multiarray"), name)
        return getattr(np, name)


def read_pickled_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The dict of arrays in a `np.save(path, {...})` file, unpickled with numpy-only globals.

    The official scripts save dicts as 0-d object arrays, i.e. pickles. This reads such a file the
    user supplied — once, when `bench weights install` converts it — with an unpickler that can
    construct numpy arrays and nothing else, so a tampered file cannot run code; the result is then
    written in the pickle-free format and the pickle is never read again.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            if dtype != np.dtype(object) or shape != ():
                raise InputError(f"{path}: expected a pickled dict saved by np.save (0-d object array), got {dtype} {shape}")
            obj = _NumpyOnlyUnpickler(fh, encoding="latin1").load()  # latin1: files from Python 2 too
    except InputError:
        raise
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, TypeError) as exc:
        raise InputError(f"{path}: not a numpy file holding a dict of arrays ({type(exc).__name__}: {exc})") from exc
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected a dict of arrays, got {type(obj).__name__}")
    return {str(k): np.asarray(v) for k, v in obj.items()}


def _need(info: dict[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    if key not in info:
        raise InputError(f"{path}: no {key!r} (expected the 3DMM_info.npy written by AD-NeRF's convert_BFM.py)")
    return np.asarray(info[key], np.float64)


def convert_3dmm_info(info_path: str | Path, keys_path: str | Path | None = None, n_id: int = OFFICIAL_ID_DIM,
                      n_exp: int = OFFICIAL_EXP_DIM) -> MorphableModel:
    """The landmark model of an official `3DMM_info.npy` (+ `keys_info.npy`, default: beside it); see the module docstring."""
    info_path = Path(info_path)
    keys_path = Path(keys_path) if keys_path is not None else info_path.with_name("keys_info.npy")
    if not info_path.is_file():
        raise InputError(f"{info_path}: no such file ({bfm_hint()})")
    if not keys_path.is_file():
        raise InputError(f"{keys_path}: no such file — keys_info.npy (the BFM vertices of the 68 landmarks) is in the "
                         "AD-NeRF repository, data_util/face_tracking/3DMM/ (ER-NeRF's README fetches it there too); "
                         f"put it next to {info_path.name} and rerun bench weights install {REGISTRY_NAME} --from {info_path}")
    info = read_pickled_dict(info_path)
    keys = read_pickled_dict(keys_path)
    mu = _need(info, "mu_shape", info_path) + _need(info, "mu_exp", info_path)
    if mu.ndim != 1 or len(mu) % 3:
        raise InputError(f"{info_path}: mu_shape must be [3N], got {list(mu.shape)}")
    n_vert = len(mu) // 3
    b_id, s_id = _need(info, "b_shape", info_path), _need(info, "sig_shape", info_path).ravel()
    b_exp, s_exp = _need(info, "b_exp", info_path), _need(info, "sig_exp", info_path).ravel()
    for name, basis, sig, k in (("b_shape", b_id, s_id, n_id), ("b_exp", b_exp, s_exp, n_exp)):
        if basis.ndim != 2 or basis.shape[1] != 3 * n_vert or len(basis) < k or len(sig) < k:
            raise InputError(f"{info_path}: {name} must be [K>={k}, {3 * n_vert}] with K standard deviations, "
                             f"got {list(basis.shape)} and {len(sig)}")
    try:
        keyinds = np.asarray(keys["keyinds"], np.int64).ravel()
        left, right = (np.asarray(keys[k], np.int64) for k in ("left_contour", "right_contour"))
    except KeyError as exc:
        raise InputError(f"{keys_path}: no {exc.args[0]!r} (expected AD-NeRF's keys_info.npy)") from exc
    if len(keyinds) != 68 or left.ndim != 2 or left.shape != right.shape or len(left) != 8:
        raise InputError(f"{keys_path}: keyinds must be [68] and left/right_contour [8,C], got "
                         f"{list(keyinds.shape)}, {list(left.shape)}, {list(right.shape)}")
    contour = np.concatenate([left, np.full((1, left.shape[1]), keyinds[8]), right])  # [17,C]: the chin stays put
    if min(keyinds.min(), contour.min()) < 0 or max(keyinds.max(), contour.max()) >= n_vert:
        raise InputError(f"{keys_path}: vertex indices outside the model's {n_vert} vertices (keys_info.npy of another mesh?)")

    centre = mu.reshape(n_vert, 3).mean(0)  # the official origin: the mean shape's centroid over all vertices

    def points(idx: np.ndarray) -> np.ndarray:
        return ((mu.reshape(n_vert, 3)[idx] - centre) * MICROMETRE) @ BFM_TO_HEAD.T

    def basis(b: np.ndarray, sig: np.ndarray, k: int, idx: np.ndarray) -> np.ndarray:
        rows = b[:k].reshape(k, n_vert, 3)[:, idx.ravel()] * sig[:k, None, None] * MICROMETRE  # [k, P, 3]
        return np.moveaxis(rows @ BFM_TO_HEAD.T, 0, -1).reshape(*idx.shape, 3, k)

    description = (f"Basel Face Model 2009 (shape, University of Basel; licence: non-commercial research, no "
                   f"redistribution) + AD-NeRF's expression basis, from {info_path.name} and {keys_path.name} "
                   f"(AD-NeRF convert_BFM.py): first {n_id} identity and {n_exp} expression components, "
                   "coefficients in the official units (basis × sig), origin at the mean shape's centroid over "
                   f"the {n_vert} sub-mesh vertices (as the official tracker), micrometres → metres, y and z flipped")
    model = MorphableModel(mean=points(keyinds), id_basis=basis(b_id, s_id, n_id, keyinds),
                           exp_basis=basis(b_exp, s_exp, n_exp, keyinds), id_std=np.ones(n_id), exp_std=np.ones(n_exp),
                           name=REGISTRY_NAME, description=description, contour_mean=points(contour),
                           contour_id=basis(b_id, s_id, n_id, contour), contour_exp=basis(b_exp, s_exp, n_exp, contour))
    return validate(model, f"{info_path} (converted)")


def install_converter(source: Path, destination: Path) -> None:
    """The weights registry's conversion step of `bfm2009_3dmm`: official 3DMM_info.npy → talkbench .npz."""
    save_morphable_model(convert_3dmm_info(source), destination)


def bfm_hint() -> str:
    """Where the BFM model comes from and how it is installed (one line, no trailing period)."""
    return (f"the 3DMM head pose needs the Basel Face Model 2009 (01_MorphableModel.mat, which may not be "
            f"redistributed: request it at {BFM_PAGE}) converted by AD-NeRF's data_util/face_tracking/convert_BFM.py "
            "(ER-NeRF: data_utils/face_tracking/convert_BFM.py, with exp_info.npy and keys_info.npy from the AD-NeRF "
            f"repository as their README says) into 3DMM_info.npy; install it with: bench weights install {REGISTRY_NAME} "
            "--from DIR/3DMM_info.npy (keys_info.npy beside it), or pass --morphable-model FILE.npz")


def resolve_morphable_model(path: str | Path | None) -> MorphableModel:
    """The model of `path`, or (None) the installed `bfm2009_3dmm`; a one-line error saying how to get it otherwise."""
    if path is not None:
        return load_morphable_model(path)
    from talkbench.infra import weights

    if weights.status(REGISTRY_NAME)[0] == "missing":
        raise WeightsMissing(f"{weights.get_entry(REGISTRY_NAME).filename} not installed: {bfm_hint()}")
    return load_morphable_model(weights.require(REGISTRY_NAME))


# ----------------------------------------------------------------------------- a PCA model from shapes


STILL_POINTS: tuple[int, ...] = tuple(range(27, 36)) + (36, 39, 42, 45)
"""iBUG points that facial expressions barely move: the nose (27–35) and the four eye corners."""


def pca_model(shapes: np.ndarray, reference: np.ndarray, n_id: int, n_exp: int, name: str, description: str,
              still_points: tuple[int, ...] = STILL_POINTS) -> MorphableModel:
    """Mean + PCA of 68-point shapes [N,68,3], each first aligned to `reference` [68,3] (metres, head frame).

    Each shape is aligned by a similarity transform (size differences are removed: a face's size and
    its distance are not separable from landmarks); the mean of the aligned shapes is the model's
    mean. Identity: the first `n_id` principal components of the aligned shapes (unit bases, their
    standard deviations as `id_std`). Expression: shapes of different people with whatever expression
    they show do not separate identity from expression, so the expression basis is the first `n_exp`
    principal components of the same deviations with `still_points` (default: nose and eye corners,
    which expressions barely move) set to zero — per-frame expression then cannot imitate a change
    of head pose, which moves those points too.
    """
    from talkbench.face3d.template import _similarity

    x = np.asarray(shapes, np.float64)
    ref = np.asarray(reference, np.float64)
    if x.ndim != 3 or x.shape[1:] != (68, 3) or ref.shape != (68, 3):
        raise InputError(f"pca_model needs shapes [N,68,3] and a reference [68,3], got {x.shape} and {ref.shape}")
    if not 0 <= max(n_id, n_exp) < len(x):
        raise InputError(f"pca_model: {len(x)} shapes give at most {len(x) - 1} components, asked for {max(n_id, n_exp)}")
    aligned = np.empty_like(x)
    for i, s in enumerate(x):
        sc, r, t = _similarity(s, ref)
        aligned[i] = sc * s @ r.T + t
    mean = aligned.mean(0)

    def pca(dev: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        _, sig, vt = np.linalg.svd(dev.reshape(len(dev), -1), full_matrices=False)
        return np.moveaxis(vt[:n].reshape(n, 68, 3), 0, -1).copy(), sig[:n] / np.sqrt(len(dev) - 1)

    id_basis, id_std = pca(aligned - mean, n_id)
    moving = aligned - mean
    moving[:, list(still_points)] = 0.0
    exp_basis, exp_std = pca(moving, n_exp)
    return validate(MorphableModel(mean=mean, id_basis=id_basis, exp_basis=exp_basis, id_std=id_std, exp_std=exp_std,
                                   name=name, description=description))


def lfw_pca_model(n_id: int = 10, n_exp: int = 10) -> MorphableModel:
    """`pca_model` of the LFW face meshes TEMPLATE_68 comes from (`head_pose.lfw_mesh_vertices`; needs mediapipe).

    Aligned to TEMPLATE_68, so it has the template's head frame and origin. Built offline from public
    data, nothing of the synthetic portrait enters it; it is a small, crude model (94 tiny faces,
    mediapipe's predicted depths), not a substitute for the BFM.
    """
    from talkbench.face3d.template import TEMPLATE_68, lfw_mesh_vertices
    from talkbench.zoo.mediapipe import MESH_TO_IBUG68

    shapes = lfw_mesh_vertices()[:, np.asarray(MESH_TO_IBUG68)]
    return pca_model(shapes, TEMPLATE_68, n_id, n_exp, "lfw-mediapipe-pca",
                     f"mean + PCA of the mediapipe face meshes of {len(shapes)} faces of skimage's LFW subset at the iBUG "
                     f"points, each similarity-aligned to TEMPLATE_68 (its head frame and origin): {n_id} identity "
                     f"components; {n_exp} expression components of the same deviations with the nose and eye corners held still")
