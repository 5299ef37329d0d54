"""Errors that the CLI turns into one readable line and a non-zero exit."""


class BenchError(Exception):
    """A user-facing error: its message is printed as one line, without a traceback."""


class InputError(BenchError):
    """Bad input data (a file that does not decode, wrong audio, ...); the message names the file."""


class UnknownNameError(BenchError):
    """An unknown registry name; the message carries "did you mean" suggestions."""


class WeightsMissing(BenchError):
    """A pretrained file is not installed (or fails its checksum); the message says how to install it."""
