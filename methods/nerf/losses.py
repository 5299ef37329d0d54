"""Losses of the NeRF talking heads: photometric (MSE / L1), opacity entropy, ambient, and LPIPS on lip patches.

The references train with MSE (`torch.nn.MSELoss(reduction='none')`, averaged over channels
and rays), plus 1e-4 x the binary entropy of each ray's accumulated opacity, plus an "ambient"
term that keeps the audio conditioning small outside the face rectangle. Their lip stage
(`--finetune_lips`) renders the lips' square box of one frame every other step and adds
0.01 x LPIPS(AlexNet) between it and the ground truth, inputs in [-1, 1], boxes padded to 32 px.

LPIPS uses `metrics/image/lpips.py`'s model (the AlexNet backbone from talkbench's weights
cache, sha256-checked; the lpips package's linear layers). When the backbone is not installed
`load_lpips` returns None and the reason, and the trainer skips the lip stage and records why.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F


def photometric(pred: torch.Tensor, target: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Per-ray loss [N] between colours [N, 3]: "mse" (the references') or "l1" (mean over channels)."""
    if kind == "mse":
        return ((pred - target) ** 2).mean(dim=-1)
    if kind == "l1":
        return (pred - target).abs().mean(dim=-1)
    raise ValueError(f"unknown photometric loss {kind!r}; use 'mse' or 'l1'")


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR (dB) of colours in [0, 1] (inf for identical inputs)."""
    mse = float(((pred.detach().clamp(0, 1) - target) ** 2).mean())
    return math.inf if mse == 0 else -10.0 * math.log10(mse)


def opacity_entropy(accumulation: torch.Tensor) -> torch.Tensor:
    """Mean binary entropy (bits) of per-ray opacities: pushes them towards 0 or 1."""
    a = accumulation.clamp(1e-5, 1 - 1e-5)
    return (-a * torch.log2(a) - (1 - a) * torch.log2(1 - a)).mean()


def ambient_loss(ambient: torch.Tensor, face: torch.Tensor) -> torch.Tensor:
    """Mean of per-ray ambient magnitudes [N] over all rays, counting only rays outside the face ([N] bool)."""
    return (ambient * (~face).to(ambient.dtype)).mean()


def load_lpips(device: str | torch.device = "cpu") -> tuple[Any | None, str]:
    """(LPIPS AlexNet model, "") when the backbone is installed, else (None, why not)."""
    from talkbench.core.errors import BenchError

    try:
        from talkbench.zoo.lpips import get_model

        model, _, digest = get_model("alex", str(device))
    except BenchError as exc:  # WeightsMissing and friends: one readable line
        return None, str(exc)
    except (ImportError, RuntimeError, OSError) as exc:
        return None, f"LPIPS could not be built: {type(exc).__name__}: {exc}"
    return model, f"alexnet sha256 {digest[:12]}"


def lpips_patches(model: Any, pred: torch.Tensor, target: torch.Tensor, min_size: int = 32) -> torch.Tensor:
    """LPIPS between patch stacks [P, h, w, 3] in [0, 1] (gradients flow into `pred`).

    As the references: NCHW in [-1, 1], zero-padded symmetrically up to `min_size` per side
    (AlexNet's receptive field needs it), mean over patches.
    """
    p = pred.permute(0, 3, 1, 2) * 2 - 1
    t = target.permute(0, 3, 1, 2) * 2 - 1
    pad_h = max(0, (min_size - p.shape[-2] + 1) // 2)
    pad_w = max(0, (min_size - p.shape[-1] + 1) // 2)
    if pad_h or pad_w:
        p = F.pad(p, (pad_w, pad_w, pad_h, pad_h))
        t = F.pad(t, (pad_w, pad_w, pad_h, pad_h))
    return model(p, t).mean()
