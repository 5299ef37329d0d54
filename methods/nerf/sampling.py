"""Which pixels a training step looks at, and the rays and colours of those pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from talkbench.methods.nerf.rays import camera_rays

if TYPE_CHECKING:
    from talkbench.methods.nerf.data import PreparedClip


def _uniform_int(lo: torch.Tensor, hi: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """`count` integers uniform in [lo, hi) for each row of lo/hi [B] -> [B, count] (CPU draws)."""
    u = torch.rand(lo.shape[0], count, generator=generator)
    return (lo.cpu()[:, None] + (u * (hi - lo).cpu()[:, None]).long()).clamp(max=hi.cpu()[:, None] - 1)


def sample_rays(data: "PreparedClip", frames: torch.Tensor, per_frame: int, box_fraction: float,
                generator: torch.Generator, lips_fraction: float = 0.0) -> torch.Tensor:
    """Flat pixel indices [F, per_frame]: `lips_fraction` in the lips' box, up to `box_fraction` in the head box, the rest anywhere."""
    _, h, w, _ = data.frames.shape
    n_box = int(round(per_frame * box_fraction))
    n_lips = int(round(per_frame * lips_fraction)) if data.lips_rect is not None else 0
    n_lips = min(n_lips, per_frame)
    n_head = max(0, n_box - n_lips)
    n_any = per_frame - n_lips - n_head
    parts = []
    for count, rect in ((n_lips, data.lips_rect_t if n_lips else None), (n_head, data.head_rect)):
        if count:
            r = rect[frames].cpu()
            rows = _uniform_int(r[:, 0], r[:, 1], count, generator)
            cols = _uniform_int(r[:, 2], r[:, 3], count, generator)
            parts.append(rows * w + cols)
    if n_any:
        parts.append(torch.randint(0, h * w, (frames.shape[0], n_any), generator=generator))
    return torch.cat(parts, dim=1).to(data.frames.device)


def frame_rays(data: "PreparedClip", c2w: torch.Tensor, pix: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Origins and directions [F * P, 3] of pixel indices [F, P] under camera-to-NeRF transforms [F, 4, 4]."""
    origins, dirs = [], []
    for k in range(pix.shape[0]):
        r = camera_rays(c2w[k], data.intrinsics, h, w, pixel_index=pix[k])
        origins.append(r.origins)
        dirs.append(r.directions)
    return torch.cat(origins), torch.cat(dirs)


def in_rects(rect: torch.Tensor, pix: torch.Tensor, width: int) -> torch.Tensor:
    """Flat bool [F * P]: whether each of the pixels [F, P] lies in its frame's rectangle [F, 4] (row0, row1, col0, col1)."""
    rows = torch.div(pix, width, rounding_mode="floor")
    cols = pix % width
    return ((rows >= rect[:, 0:1]) & (rows < rect[:, 1:2]) & (cols >= rect[:, 2:3]) & (cols < rect[:, 3:4])).reshape(-1)


def gather(image: torch.Tensor, frames: torch.Tensor, pix: torch.Tensor) -> torch.Tensor:
    """Values of [T, H, W, C] at (frame, flat pixel) pairs [F], [F, P] -> [F * P, C]."""
    t, h, w, c = image.shape
    flat = image.reshape(t, h * w, c)
    return flat[frames[:, None], pix].reshape(-1, c)
