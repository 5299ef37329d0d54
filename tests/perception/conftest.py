"""Fixtures of the perception tests (`tests.kit.faces`)."""

from tests.kit.faces import astronaut_face  # noqa: F401
