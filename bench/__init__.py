"""talkbench: train, render and score audio-driven talking-portrait methods the same way."""

__version__ = "0.1.0"
