"""`lipsync`: the reconstruct models re-driven by the test split's clean speech and by noisy speech."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from talkbench.core.types import Clip
from talkbench.datasets.driving_audio import condition_audio
from talkbench.harness.tasks.reconstruct import ReconstructTask
from talkbench.infra.hashing import stable_hash


class LipsyncTask(ReconstructTask):
    """WildTalker Table 2: lip sync under original vs corrupted driving speech (training shared with reconstruct)."""

    name: ClassVar[str] = "lipsync"
    metrics: ClassVar[tuple[str, ...]] = ("lmd", "aue", "lse_c", "lse_d")
    conditions: ClassVar[tuple[str, ...]] = ("original", "corrupted")
    default_profile: ClassVar[str] = "lipsync"
    description: ClassVar[str] = (
        "the self-driven test split re-rendered from its clean speech (original) and from noisy speech (corrupted), "
        "scored against the ground-truth frames (WildTalker Table 2; LMD added: it needs no external weights)")

    def drives(self, test: Clip, card_data: dict[str, Any]) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
        """The clean and the corrupted speech of the test split (`talkbench.datasets.driving_audio`)."""
        return {c: condition_audio(test, c, card_data) for c in self.conditions}

    def audio_key(self, condition: str, audio: np.ndarray) -> str:
        """The driving audio's content: the corrupted speech is made from the card, so it enters the key."""
        return stable_hash({"condition": condition, "audio": np.asarray(audio).tobytes()}, 16)
