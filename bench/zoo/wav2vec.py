"""wav2vec 2.0 XLSR-53 fine-tuned for Esperanto CTC (cpierse/wav2vec2-large-xlsr-53-esperanto), the ASR model of
RAD-NeRF / ER-NeRF: the snapshot's weights entry and its CTC model loaded from it. User: the `wav2vec` audio features
(`talkbench.audio_features.wav2vec`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from talkbench.infra.weights import UNPUBLISHED, WeightsEntry
from talkbench.zoo.hf import load_snapshot

WAV2VEC2_XLSR53_ESPERANTO = WeightsEntry(
    name="wav2vec2_xlsr53_esperanto",
    filename="wav2vec2-large-xlsr-53-esperanto",
    sha256=UNPUBLISHED,
    url="https://huggingface.co/cpierse/wav2vec2-large-xlsr-53-esperanto",
    licence="Apache-2.0 (cpierse/wav2vec2-large-xlsr-53-esperanto model card)",
    used_by="NeRF audio features `wav2vec` (RAD-NeRF / ER-NeRF aud_eo.npy: Wav2Vec2ForCTC logits)",
    snapshot=True,
)

MODEL_CLASS = "AutoModelForCTC"
"""The transformers class loaded from the snapshot (Wav2Vec2ForCTC for this snapshot's config)."""


def load_wav2vec(path: Path, digest: str, device: str) -> tuple[Any, Any]:
    """(feature extractor, CTC model) of the installed snapshot at `path` (sha256 `digest`), kept per process."""
    return load_snapshot(WAV2VEC2_XLSR53_ESPERANTO.name, MODEL_CLASS, path, digest, device)
