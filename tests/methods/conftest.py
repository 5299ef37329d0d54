"""Fixtures of the method tests: the tiny synthetic portrait, and one CPU thread for bit-reproducible training."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture
def tiny_clip(tiny_cards):
    """The 5 s, 64 px synthetic portrait (113 training frames, 12 test frames)."""
    from talkbench.datasets.cards import load_dataset

    return load_dataset("synthetic-portrait", "smoke")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One CPU thread: multi-threaded float reductions (scatter/index_add) may sum in a different order run to run,
    and for tiny tensors on a shared box extra threads only contend."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
