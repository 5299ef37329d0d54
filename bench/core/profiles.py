"""The profiles a job runs under: how much data, which resolution and what training budget a method gets.

A method's config names its settings per profile (`Configurable.profiles`; a profile it does not list means its
paper defaults), a dataset card its resolution and generator settings per profile (`Card.data_for`).
"""

from __future__ import annotations

PROFILES: dict[str, str] = {
    "smoke": "minutes on a CPU: 128 px synthetic clips of 22 s, short training schedules (CI, quick checks)",
    "lipsync": "the smoke schedules on 45 s synthetic clips at 256 px, so the test split (103 frames) and the face "
               "meet syncnet_python's 100-frame track and 100 px face minimums and the landmarks resolve the lips "
               "(the lipsync task's default)",
    "cpu-long": "a CPU budget clearly closer to the papers: 256 px, about ten times the smoke training compute (about "
                "25 minutes a NeRF method on one core); for real footage, where smoke only shows that a method runs",
    "paper": "the papers' settings: 512 px and their full training schedules (a GPU)",
}
"""Profile name -> what it is for."""

CPU_PROFILES: tuple[str, ...] = ("smoke", "lipsync", "cpu-long")
"""Profiles meant for a CPU: they run in the reproducible numerics mode unless told otherwise."""


def default_numerics(profile: str) -> str:
    """The numerics mode a profile runs in by default (`talkbench.infra.numerics`)."""
    return "reproducible" if profile in CPU_PROFILES else "native"


def profile_help() -> str:
    """One line per profile for --help texts."""
    return "; ".join(f"{name}: {text}" for name, text in PROFILES.items())
