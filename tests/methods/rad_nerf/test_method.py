"""`rad-nerf` (methods/rad_nerf/method.py): a clip without its annotations is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.core.errors import InputError
from tests.kit.nerf import tiny_method as _method


def test_missing_annotations_are_refused(tiny_clip, tmp_path: Path) -> None:
    clip = tiny_clip.train()
    del clip.annotations["head_mask"]
    with pytest.raises(InputError, match="head_mask"):
        _method("rad-nerf").train(clip, tmp_path, 0)
