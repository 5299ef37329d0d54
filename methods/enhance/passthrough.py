"""`passthrough`: the noisy input unchanged (the "Noisy" row of an enhancement table)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talkbench.core.registries import METHODS
from talkbench.core.types import MethodConfig
from talkbench.methods.enhance.base import Denoiser


@dataclass
class PassthroughConfig(MethodConfig):
    """No settings: the output is the input."""


@METHODS.register("passthrough")
class Passthrough(Denoiser):
    """Identity denoiser: returns the noisy audio as float32 (a copy)."""

    name = "passthrough"
    Config = PassthroughConfig

    def enhance(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The input, as a copy."""
        return audio.copy()
