"""Inputs of the face-parsing parity test: seeded BiSeNet weights and the fixed inputs the official model was run on.

Both sides build the weights from their own network's state dict with `seeded_state`: each tensor is drawn from a
numpy generator seeded by (seed, crc32 of its key), so the values depend only on the key names and shapes (which
strict loading makes identical), never on the order in which either implementation creates its modules.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import torch

SEED = 16
"""Seed of the parity weights and input."""
INPUT_SHAPE = (1, 3, 72, 88)
"""Network input of the logits check: not a multiple of 32, so the trunk's nearest upsamplings are uneven (3->5->9)."""


def seeded_state(template: Mapping[str, torch.Tensor], seed: int = SEED) -> dict[str, torch.Tensor]:
    """Random weights with the keys, shapes and dtypes of `template`, scaled so activations neither vanish nor blow up."""
    state = {}
    for key, like in template.items():
        rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
        shape = tuple(like.shape)
        if key.endswith("num_batches_tracked"):
            value = np.zeros(shape)
        elif key.endswith("running_var") or (key.endswith("weight") and len(shape) == 1):  # BN scale and variance
            value = rng.uniform(0.5, 1.5, shape)
        elif key.endswith(("running_mean", "bias")):
            value = rng.normal(0.0, 0.1, shape)
        else:  # a convolution: unit gain over its fan-in (He gain makes logits of order 100)
            value = rng.normal(0.0, np.sqrt(1.0 / np.prod(shape[1:])), shape)
        state[key] = torch.from_numpy(np.asarray(value)).to(like.dtype)
    return state


def parity_input(seed: int = SEED) -> torch.Tensor:
    """The fixed float32 network input (standard normal, like a normalised image)."""
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(INPUT_SHAPE).astype(np.float32))


def parity_frames() -> np.ndarray:
    """[2, 160, 170, 3] uint8 RGB: skimage's astronaut face at half resolution, and its mirror image."""
    from skimage import data

    face = np.ascontiguousarray(data.astronaut()[0:320:2, 60:400:2])
    return np.stack([face, face[:, ::-1]])


@pytest.fixture(scope="module")
def random_bisenet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded parity weights saved as a plain state dict, as the released 79999_iter.pth is."""
    from talkbench.zoo.face_parsing import BiSeNet

    path = tmp_path_factory.mktemp("bisenet") / "79999_iter.pth"
    # the released file dates from 2019, before torch 1.6 made the zip format the default: the legacy format
    torch.save(seeded_state(BiSeNet().state_dict()), path, _use_new_zipfile_serialization=False)
    return path
