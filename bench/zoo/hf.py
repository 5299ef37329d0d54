"""Hugging Face model snapshots (HuBERT, wav2vec 2.0), loaded from their installed directory only.

`from_pretrained(dir, local_files_only=True)` with `HF_HUB_OFFLINE=1` and `TRANSFORMERS_OFFLINE=1` set before
transformers is imported: nothing is fetched at run time. A loaded model is kept per process, one per network
(`talkbench.zoo.cache.cached_one`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from talkbench.core.errors import WeightsMissing
from talkbench.infra import weights
from talkbench.zoo.cache import cached_one


def offline() -> None:
    """Forbid hub look-ups for this process (set before transformers / huggingface_hub read them: they do at import)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def read_config(directory: Path) -> dict[str, Any]:
    """The snapshot's config.json; WeightsMissing when it does not read."""
    try:
        return json.loads((directory / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise WeightsMissing(f"{directory / 'config.json'}: unreadable ({exc}); reinstall the snapshot") from exc


def load_snapshot(entry: str, model_class: str, path: Path, digest: str, device: str) -> tuple[Any, Any]:
    """(Wav2Vec2FeatureExtractor, `model_class` in eval mode on `device`) of the installed snapshot of `entry`."""

    def load() -> tuple[Any, Any]:
        """Read the snapshot directory offline (once per file: the cache calls this on a miss)."""
        offline()
        import torch

        from talkbench.infra.torchvision_compat import import_torchvision

        # transformers imports torchvision when it is installed; on CPU torch that import needs the shim
        import_torchvision()
        import transformers

        model_cls = getattr(transformers, model_class)
        try:
            fe = transformers.Wav2Vec2FeatureExtractor.from_pretrained(str(path), local_files_only=True)
            # weights_only: a pytorch_model.bin is read without running pickled code (safetensors never runs any)
            model = model_cls.from_pretrained(str(path), local_files_only=True, weights_only=True)
        except Exception as exc:  # noqa: BLE001 - a bad snapshot fails in many ways; all mean "refuse it"
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise WeightsMissing(f"{path}: not loadable as {model_class} ({type(exc).__name__}: {first}); "
                                 f"reinstall with: {weights.get_entry(entry).install_hint()}") from exc
        model.eval()
        return fe, model.to(torch.device(device))

    return cached_one((entry, str(path), digest, device), load)
