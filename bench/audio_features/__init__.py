"""Audio features per video frame for the NeRF heads: named extractors (`registry`), one module per extractor.

The public import path: `from talkbench import audio_features` (`audio_features.extract(name, ...)`,
`require`, `describe`, `weights_state`, `names`, `get_extractor`, `EXTRACTORS`) and the window helpers below.
"""

from talkbench.audio_features.base import (ROW_MS, WINDOW_ROWS, WINDOWS_PER_SECOND, AudioExtractor, frame_windows_25,
                                           strided_windows)
from talkbench.audio_features.log_mel import log_mel_windows
from talkbench.audio_features.registry import EXTRACTORS, describe, extract, get_extractor, names, require, weights_state

__all__ = [
    "EXTRACTORS", "ROW_MS", "WINDOWS_PER_SECOND", "WINDOW_ROWS", "AudioExtractor", "describe", "extract",
    "frame_windows_25", "get_extractor", "log_mel_windows", "names", "require", "strided_windows", "weights_state",
]
