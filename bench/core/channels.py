"""Which channels of a speech file a command uses (`--channel`), kept free of numpy so the CLI parser stays quick."""

from __future__ import annotations

CHANNELS = ("mean", "left", "right", "each")
"""What `--channel` takes for a speech file: the mean of its channels (downmix, the default), the left (first) or
right (second) channel, or each channel on its own (`talkbench.io.audio.select_channels`)."""
