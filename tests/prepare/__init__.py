"""Tests of bench/prepare/ (the pass pipeline, the passes, `bench data prepare`)."""

SIZE, SECONDS = 128, 2.0
"""The `portrait` fixture's frame size (px) and length (s)."""
