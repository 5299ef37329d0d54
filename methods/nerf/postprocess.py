"""Per-frame post-processing of a render (neck fill, portrait blend, paste-back): a model returns the ones it uses."""

from __future__ import annotations

import numpy as np


class PostProcess:
    """One step after compositing: on the float frame in [0, 1] and/or on the final uint8 image."""

    def on_float(self, frame: np.ndarray, head_alpha: np.ndarray, torso_alpha: np.ndarray, index: int) -> np.ndarray:
        """The float frame [H, W, 3] after this step (unchanged here)."""
        return frame

    def on_image(self, image: np.ndarray, head_alpha: np.ndarray, index: int) -> np.ndarray:
        """The uint8 image [H, W, 3] after this step (unchanged here)."""
        return image
