"""The occupancy grid's update rule, as a training callback (the references' `update_extra_state`).

Every `occupancy.update_interval` steps of the head and lip stages, each cell's density at a random point
inside it is max-ed into the grid decayed by 0.95, with a random training frame's audio and expression;
once more after those stages. Rendering reads the grid through `render.occupancy_lookup`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from talkbench.methods.nerf.trainer import Trainer

HEAD_STAGES = ("head", "lips")
"""Stages whose steps refresh the grid."""


@torch.no_grad()
def update_occupancy(trainer: "Trainer", decay: float = 0.95) -> None:
    """The references' density-grid update: a random point per cell, a random training frame's audio and eye."""
    model, data, device = trainer.model, trainer.data, trainer.device
    grid = model.occupancy
    res = grid.shape[0]
    frame = torch.randint(0, trainer.t, (1,), generator=trainer.gen).to(device)
    enc_a = model.audio(data.windows, frame)
    eye = data.eye[frame] if data.eye is not None else None
    axis = torch.arange(res, device=device, dtype=torch.float32)
    cells = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1).reshape(-1, 3)
    jitter = torch.rand(cells.shape, generator=trainer.gen).to(device)
    lo, hi = trainer.aabb[:3], trainer.aabb[3:]
    pts = lo + (cells + jitter) / res * (hi - lo)
    density = torch.empty(pts.shape[0], device=device)
    chunk = 65536
    for s in range(0, pts.shape[0], chunk):
        p = pts[s:s + chunk]
        density[s:s + chunk] = model.head.density(p, enc_a.expand(p.shape[0], -1),
                                                  eye.expand(p.shape[0], -1) if eye is not None else None)
    grid.copy_(torch.maximum(grid * decay, density.reshape(res, res, res)))


class OccupancyUpdate:
    """Refreshes the occupancy grid during the head and lip stages, and once after them."""

    def before_step(self, trainer: "Trainer", stage: str, step: int) -> None:
        """Update every `update_interval` steps (counted from the start of training) of the head and lip stages."""
        if stage in HEAD_STAGES and step % trainer.cfg.occupancy.update_interval == 0:
            update_occupancy(trainer)

    def after_stage(self, trainer: "Trainer", stage: str) -> None:
        """After the lip stage (run or skipped), one more update when the head trained at all."""
        if stage == "lips" and trainer.cfg.stages.iters > 0:
            update_occupancy(trainer)
