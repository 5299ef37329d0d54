"""Pass `background`: the static background behind the person, stored in the clip's meta.

`talkbench.perception.background.estimate_background(frames, person)` with the person masks dilated by
`background_dilate` (2 % of the frame size: segmentation edges and hair fringes stay out of it). Stored as
`meta["background"]`, a lossless PNG in base64 (`talkbench.datasets.clip_meta.encode_background`; methods read it
with `talkbench.datasets.clip_meta.background_image`).
"""

from __future__ import annotations

import numpy as np

from talkbench.core.errors import InputError
from talkbench.datasets.clip_meta import dilate_masks, encode_background
from talkbench.prepare.pipeline import AnnotationPass, PassInputs, PassResult


class BackgroundPass(AnnotationPass):
    """The background image (module docstring)."""

    name = "background"
    requires = frozenset({"person_mask"})
    provides = frozenset({"background"})
    options = ("background_dilate",)

    def run(self, inputs: PassInputs) -> PassResult:
        """Estimate from the pixels the dilated person never covers."""
        from talkbench.perception.background import estimate_background

        try:
            background = estimate_background(inputs.frames, dilate_masks(inputs.get("person_mask"), inputs.options.background_dilate))
        except InputError as exc:
            raise InputError(f"{inputs.source}: {exc}") from exc
        return PassResult(meta={"background": encode_background(np.asarray(background, np.uint8))})
