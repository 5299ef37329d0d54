"""HuBERT-large fine-tuned on LibriSpeech 960 h (Hsu et al. 2021, facebook/hubert-large-ls960-ft): the snapshot's
weights entry and `HubertModel` loaded from it. User: the `hubert` audio features (`talkbench.audio_features.hubert`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from talkbench.infra.weights import UNPUBLISHED, WeightsEntry
from talkbench.zoo.hf import load_snapshot

HUBERT_LARGE_LS960_FT = WeightsEntry(
    name="hubert_large_ls960_ft",
    filename="hubert-large-ls960-ft",
    sha256=UNPUBLISHED,
    url="https://huggingface.co/facebook/hubert-large-ls960-ft",
    licence="Apache-2.0 (facebook/hubert-large-ls960-ft model card)",
    used_by="NeRF audio features `hubert` (ER-NeRF / SyncTalk aud_hu.npy: HubertModel last hidden state)",
    snapshot=True,
)

MODEL_CLASS = "HubertModel"
"""The transformers class loaded from the snapshot (the encoder without the CTC head)."""
KERNEL, STRIDE = 400, 320
"""HuBERT's convolutional front end as one Conv1d: receptive field and hop in samples."""


def load_hubert(path: Path, digest: str, device: str) -> tuple[Any, Any]:
    """(feature extractor, HubertModel) of the installed snapshot at `path` (sha256 `digest`), kept per process."""
    return load_snapshot(HUBERT_LARGE_LS960_FT.name, MODEL_CLASS, path, digest, device)
