"""Provenance recorded with every run: code version, packages, hardware, seeds, timings."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
from importlib import metadata
from typing import Any

from talkbench.infra.paths import SOURCE_ROOT

PACKAGES = ("talkbench", "torch", "torchvision", "numpy", "scipy", "scikit-image", "lpips", "librosa", "av",
            "opencv-contrib-python", "pandas", "espeakng-loader", "pesq", "pystoi", "mediapipe", "syncnet-python")


def git_state() -> dict[str, Any]:
    """Git commit and dirty flag of the talkbench checkout (None outside a git checkout)."""
    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(SOURCE_ROOT), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    sha = run("rev-parse", "HEAD")
    dirty = run("status", "--porcelain", "--untracked-files=no")
    return {"git_sha": sha, "git_dirty": bool(dirty) if dirty is not None else None}


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape results."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _cpu_model() -> str:
    """The CPU's model name and vector extensions (what decides which kernels native numerics pick)."""
    with contextlib.suppress(OSError):
        text = open("/proc/cpuinfo").read()
        name = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
        flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
        simd = [f for f in ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile") if f in flags]
        return f"{name} ({', '.join(simd)})"
    return platform.processor()


def hardware() -> dict[str, Any]:
    """CPU, memory and GPU of this machine."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
    }
    with contextlib.suppress(ValueError, OSError, AttributeError):  # sysconf names are POSIX-only
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    with contextlib.suppress(ImportError):  # torch is optional for non-neural methods
        import torch

        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    return info


def collect() -> dict[str, Any]:
    """All provenance fields of this process."""
    from talkbench.infra import numerics

    return {**git_state(), "packages": package_versions(), "hardware": hardware(), "numerics": numerics.describe(),
            "argv": sys.argv}
