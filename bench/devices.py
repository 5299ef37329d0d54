"""Which torch device a job or metric runs on."""

from __future__ import annotations


def resolve_device(device: str) -> str:
    """'auto' -> cuda when available, else cpu; a CUDA request without CUDA falls back to cpu."""
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:
        cuda = False
    device = str(device)
    if device == "auto":
        return "cuda" if cuda else "cpu"
    if device.startswith("cuda") and not cuda:
        return "cpu"
    return device
