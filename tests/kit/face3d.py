"""A synthetic morphable model and head rotations for the face3d tests."""

from __future__ import annotations

import numpy as np

from talkbench.face3d.morphable_model import MorphableModel
from talkbench.face3d.template import TEMPLATE_68
from talkbench.geometry.so3 import from_yaw_pitch_roll


def synthetic_model() -> MorphableModel:
    """TEMPLATE_68 + smooth identity and expression deformations of a few millimetres (unit std each)."""
    m = TEMPLATE_68
    x, y = m[:, 0], m[:, 1]
    ident = np.zeros((68, 3, 5))
    ident[:, 0, 0] = 0.06 * x  # wider face
    ident[:, 1, 1] = 0.05 * (y - 0.03)  # longer face
    ident[27:36, 2, 2] = -0.006 * np.linspace(0.3, 1.0, 9)  # a more prominent nose
    ident[:, 2, 3] = 0.08 * x**2 / 0.07  # a rounder face: the sides further back (5.6 mm at the jaw)
    ident[0:17, 0, 4] = 0.08 * x[0:17]  # a wider jaw
    expr = np.zeros((68, 3, 4))
    below = np.clip((y - 0.06) / 0.05, 0.0, 1.0)  # points below the mouth corners follow the jaw
    expr[:, 1, 0] = 0.012 * below
    expr[[55, 56, 57, 58, 59, 64, 65, 66, 67], 1, 0] = 0.008
    expr[[48, 60], :, 1] = (-0.004, -0.003, 0.0)  # smile: the corners out and up
    expr[[54, 64], :, 1] = (0.004, -0.003, 0.0)
    expr[17:27, 1, 2] = -0.004  # brows up
    expr[[37, 38, 43, 44], 1, 3] = 0.003  # lids down
    return MorphableModel(mean=m.copy(), id_basis=ident, exp_basis=expr, id_std=np.ones(5), exp_std=np.ones(4),
                          name="synthetic-test", description="test model: TEMPLATE_68 + smooth deformations")


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rz(roll) · Rx(pitch) · Ry(yaw) of angles in degrees (the synthetic generator's convention)."""
    return from_yaw_pitch_roll(*np.radians([yaw, pitch, roll]))
