"""`passthrough`: the noisy input unchanged (the "Noisy" row of an enhancement table)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talkbench.core.config import MethodConfig
from talkbench.core.method import Enhancer


@dataclass
class PassthroughConfig(MethodConfig):
    """No settings: the output is the input."""


class Passthrough(Enhancer):
    """Identity denoiser: returns the noisy audio as float32 (a copy)."""

    name = "passthrough"
    Config = PassthroughConfig

    def enhance(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The input, as a copy."""
        return audio.copy()
