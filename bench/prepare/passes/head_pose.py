"""Passes `head_pose_template` and `head_pose_3dmm`: the head pose per frame and the camera, from the raw landmarks.

Both provide `head_pose` and `intrinsics`; `--head-pose template|3dmm` (`PreprocessOptions.head_pose`) chooses.

* `head_pose_template` — `talkbench.face3d.template.fit_head_poses` (a generic rigid face template fitted by
  PnP, one focal for the video found by a 1-D search, Savitzky–Golay smoothing; frames without a face get an
  interpolated pose). Its settings, focal and mean reprojection RMSE go to `meta["head_pose"]`, the camera to
  `meta["intrinsics"]`.
* `head_pose_3dmm` — the morphable-model tracker `talkbench.face3d.tracker.track_face` (identity per clip,
  expression and pose per frame, focal searched; the model is the installed `bfm2009_3dmm` or
  `--morphable-model FILE.npz`, resolved before any pass runs): it also provides `exp_coeffs` and records the
  model and identity coefficients in `meta["head_pose"]`.

Both read `landmarks_detected` (NaN where no face), so a faceless frame gets an interpolated pose rather than
a pose fitted to interpolated points, and hand later passes the float64 poses (`working`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from talkbench.core.errors import InputError
from talkbench.prepare.pipeline import AnnotationPass, PassInputs, PassResult

HEAD_POSE_CONVENTION = (
    "head->camera rigid transform, metres; camera x right, y down, z forward (OpenCV); head frame of "
    "talkbench.face3d.template.TEMPLATE_68 (x to the image's right in a frontal view, y down, z into the head, "
    "origin near the head's centre); metric scale from the template's 63 mm interpupillary distance"
)


def head_pose_convention_3dmm(model_name: str) -> str:
    """meta["head_pose_convention"] of a pose fitted with a morphable model (its head frame and scale)."""
    return ("head->camera rigid transform, metres; camera x right, y down, z forward (OpenCV); head frame of the "
            f"morphable model {model_name!r} (x to the image's right in a frontal view, y down, z into the head; origin "
            "as its description in meta.head_pose.model says); metric scale from the model's mean face")


def _result(fit: Any, fitter: str, convention: str, source: str) -> PassResult:
    """The annotations, meta and notes shared by both fits."""
    intrinsics = {k: (float(v) if k in ("fx", "fy", "cx", "cy") else int(v)) for k, v in fit.intrinsics.items()}
    rmse = fit.rmse[np.isfinite(fit.rmse)]
    meta = {"intrinsics": intrinsics, "head_pose_convention": convention,
            "head_pose": {"fit": fitter, "settings": fit.settings, "focal_px": float(fit.focal),
                          "rmse_px_mean": float(rmse.mean()), "rmse_px_max": float(rmse.max()),
                          "raw_rmse_px_mean": float(np.nanmean(fit.raw_rmse)), "frames_fitted": int(fit.found.sum())}}
    notes = []
    if fit.settings.get("focal_at_bound"):
        notes.append(f"{source}: the focal search ended at its range's bound ({fit.focal:.0f} px): the landmarks say little "
                     "about perspective (a near-orthographic camera is assumed); pass --focal PX if the camera is known")
    return PassResult(annotations={"head_pose": fit.poses.astype(np.float32)}, meta=meta, notes=notes,
                      working={"head_pose": fit.poses})


class TemplateHeadPosePass(AnnotationPass):
    """Head pose from a generic rigid face template (module docstring)."""

    name = "head_pose_template"
    requires = frozenset({"landmarks_detected"})
    provides = frozenset({"head_pose", "intrinsics"})
    options = ("head_pose", "focal", "smooth")
    choice = ("head_pose", "template")

    def run(self, inputs: PassInputs) -> PassResult:
        """Fit the template to every frame's raw landmarks."""
        from talkbench.face3d.template import fit_head_poses

        h, w = inputs.frames.shape[1:3]
        try:
            fit = fit_head_poses(inputs.get("landmarks_detected"), (h, w), focal=inputs.options.focal, smooth=inputs.options.smooth)
        except InputError as exc:
            raise InputError(f"{inputs.source}: {exc}") from exc
        return _result(fit, "talkbench.face3d.template.fit_head_poses", HEAD_POSE_CONVENTION, inputs.source)


class MorphableModelHeadPosePass(AnnotationPass):
    """Head pose and expression from the 3DMM face tracker (module docstring)."""

    name = "head_pose_3dmm"
    requires = frozenset({"landmarks_detected"})
    provides = frozenset({"head_pose", "intrinsics", "exp_coeffs"})
    options = ("head_pose", "morphable_model", "focal", "smooth", "device")
    choice = ("head_pose", "3dmm")

    def check(self, inputs: PassInputs) -> None:
        """The morphable model must be there (installed or given) before the long passes."""
        from talkbench.face3d.morphable_model import resolve_morphable_model

        self.model = resolve_morphable_model(inputs.options.morphable_model)

    def run(self, inputs: PassInputs) -> PassResult:
        """Track identity, expression and pose through the raw landmarks."""
        from talkbench.face3d.tracker import track_face

        if not hasattr(self, "model"):
            self.check(inputs)
        o, model = inputs.options, self.model
        h, w = inputs.frames.shape[1:3]
        try:
            fit = track_face(inputs.get("landmarks_detected"), (h, w), model, focal=o.focal, smooth=o.smooth >= 5, device=o.device)
        except InputError as exc:
            raise InputError(f"{inputs.source}: {exc}") from exc
        out = _result(fit, "talkbench.face3d.tracker.track_face", head_pose_convention_3dmm(model.name), inputs.source)
        out.annotations["exp_coeffs"] = fit.exp_coeffs.astype(np.float32)
        out.meta["head_pose"].update(model=model.summary(), id_coeffs=[float(v) for v in fit.id_coeffs],
                                     exp_coeffs="annotation exp_coeffs [T,K_exp]: the model's expression coefficients per frame")
        return out
