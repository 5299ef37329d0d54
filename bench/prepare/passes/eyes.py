"""Pass `eye_ratio`: the eye aspect ratio per frame (`talkbench.perception.eyes`, Soukupová & Čech 2016), the mean of
both eyes: about 0.25–0.35 open, near 0 closed (the ER-NeRF family's eye feature; their official data use
OpenFace's AU45 instead, see `talkbench.prepare.official_import`)."""

from __future__ import annotations

import numpy as np

from talkbench.perception.eyes import eye_aspect_ratio
from talkbench.prepare.pipeline import AnnotationPass, PassInputs, PassResult

EYE_RATIO_MEANING = ("eye aspect ratio (Soukupová & Čech 2016), mean of both eyes: "
                     "(|p2-p6| + |p3-p5|) / (2 |p1-p4|), p1..p6 = iBUG 36..41 and 42..47")
"""meta["eye_ratio"]: what the annotation is."""


class EyeRatioPass(AnnotationPass):
    """Eye aspect ratio from the landmarks (module docstring)."""

    name = "eye_ratio"
    requires = frozenset({"landmarks"})
    provides = frozenset({"eye_ratio"})

    def run(self, inputs: PassInputs) -> PassResult:
        """EAR of each frame's landmarks."""
        return PassResult(annotations={"eye_ratio": eye_aspect_ratio(inputs.get("landmarks")).astype(np.float32)},
                          meta={"eye_ratio": EYE_RATIO_MEANING})
