"""The baselines as a package: a corrupt checkpoint is named by `static` and `retrieval` alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def test_corrupt_checkpoint_is_named(tmp_path: Path) -> None:
    from talkbench.core.errors import InputError
    from talkbench.core.types import Checkpoint, Drive
    from talkbench.methods.baselines.retrieval import Retrieval
    from talkbench.methods.baselines.static import Static

    (tmp_path / "frame.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "index.npz").write_bytes(b"PK garbage")
    drive = Drive(audio=np.zeros(16000, np.float32), fps=25, num_frames=25)
    with pytest.raises(InputError, match="frame.npy: corrupt checkpoint"):
        Static().render(Checkpoint(tmp_path), drive)
    with pytest.raises(InputError, match="index.npz: corrupt checkpoint"):
        Retrieval().render(Checkpoint(tmp_path), drive)
