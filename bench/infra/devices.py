"""Which torch device a job or metric runs on."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


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


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with `count` torch CPU threads (0: leave torch's setting), restoring the previous count after;
    in the reproducible numerics mode also with oneDNN off (`numerics.apply_torch_flags`)."""
    import torch

    from talkbench.infra.numerics import apply_torch_flags

    apply_torch_flags()

    if count <= 0:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
