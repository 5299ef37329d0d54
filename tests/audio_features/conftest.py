"""Fixtures of the audio feature tests: tiny random snapshots installed through the weights registry (`tests.kit.weights`)."""

from tests.kit.weights import installed, snapshots  # noqa: F401
