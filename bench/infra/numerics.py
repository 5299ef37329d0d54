"""Numerics modes: `native` (each library's fastest kernels for this CPU) or `reproducible` (the same floating-point
results on any x86-64 machine with the same wheels).

Single-threaded CPU runs are bit-identical on one machine, but not across machines: MKL's sgemm, ATen's vectorised
kernels (softmax, the Adam update, and `randn`'s AVX2 normal fill, so even the initial weights), oneDNN's
convolutions, numpy's SIMD loops and OpenBLAS's kernel and thread count (the log-mel features) all follow the CPU.
Measured on the smoke NeRF runs (DESIGN.md, "Reproducible numerics"): each of those settings changed the trained
weights, and the set below made them identical whatever ISA the libraries would otherwise pick, for about 1.17x the
CPU time of a smoke training. The variables must be in the environment before numpy and torch are imported, so the
`bench` command re-executes itself with them (`ensure`); the oneDNN switch is a runtime flag (`apply_torch_flags`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

MODES = ("native", "reproducible")
ENV_MODE = "TALKBENCH_NUMERICS"
"""The environment variable naming the active mode (set by `ensure`; "native" when absent)."""

_NUMPY_FEATURES = ("SSSE3,SSE41,POPCNT,SSE42,AVX,F16C,FMA3,AVX2,AVX512F,AVX512CD,AVX512_KNL,AVX512_KNM,AVX512_SKX,"
                   "AVX512_CLX,AVX512_CNL,AVX512_ICL")
_OPENCV_FEATURES = "SSSE3,SSE4.1,POPCNT,SSE4.2,FP16,AVX,FMA3,AVX2"
_OPENCV_AVX512 = "AVX512F,AVX512-SKX,AVX512-COMMON,AVX512-KNL,AVX512-KNM,AVX512-CNL,AVX512-CLX,AVX512-ICL"


def _cpu_has_avx512() -> bool:
    """Whether the CPU reports AVX-512 (OpenCV warns about disabling a feature the CPU lacks, so name it only then)."""
    try:
        return " avx512f" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return True

REPRODUCIBLE_ENV: dict[str, str] = {
    "MKL_CBWR": "COMPATIBLE",  # MKL: one sgemm code path on every Intel or AMD CPU
    "ATEN_CPU_CAPABILITY": "default",  # ATen: the non-vectorised kernels (incl. the normal fill of randn)
    "NPY_DISABLE_CPU_FEATURES": _NUMPY_FEATURES,  # numpy: the baseline SSE/SSE2/SSE3 loops only
    "OPENBLAS_CORETYPE": "Prescott",  # OpenBLAS (numpy's and scipy's): one kernel whatever the CPU
    "OPENBLAS_NUM_THREADS": "1",  # OpenBLAS splits sums by core count otherwise
    "OPENCV_CPU_DISABLE": _OPENCV_FEATURES + ("," + _OPENCV_AVX512 if _cpu_has_avx512() else ""),  # OpenCV's dispatch
    ENV_MODE: "reproducible",
}
"""The environment of the reproducible mode."""


def active_mode() -> str:
    """The numerics mode of this process."""
    mode = os.environ.get(ENV_MODE, "native")
    if mode == "reproducible" and any(os.environ.get(k) != v for k, v in REPRODUCIBLE_ENV.items()):
        return "native"  # the mode was named but its settings are incomplete: not reproducible
    return mode if mode in MODES else "native"


def describe() -> dict[str, str]:
    """What provenance records about the numerics of this process."""
    mode = active_mode()
    return {"mode": mode, **({k: REPRODUCIBLE_ENV[k] for k in REPRODUCIBLE_ENV if k != ENV_MODE} if mode == "reproducible" else {})}


def reexec_reproducible(argv: list[str]) -> NoReturn:
    """Run this command again in a fresh interpreter with the reproducible environment (never returns)."""
    env = {**os.environ, **REPRODUCIBLE_ENV}
    os.execve(sys.executable, [sys.executable, "-m", "talkbench.cli.main", *argv], env)


def ensure(mode: str, argv: list[str] | None) -> None:
    """Make the process run in `mode`: re-execute for "reproducible" when its environment is not set yet (only for a
    command line, `argv`; a library call cannot re-execute its caller and keeps the native mode, which provenance
    records)."""
    if mode not in MODES:
        raise ValueError(f"numerics must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "reproducible" and active_mode() != "reproducible" and argv is not None:
        reexec_reproducible(argv)
    apply_torch_flags()


def apply_torch_flags() -> None:
    """oneDNN's convolutions follow the CPU and have no environment switch: off in the reproducible mode."""
    if active_mode() == "reproducible":
        import torch

        torch.backends.mkldnn.enabled = False
