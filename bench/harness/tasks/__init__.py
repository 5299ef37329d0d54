"""Tasks: which metrics and driving conditions make up each of the papers' tables."""

from __future__ import annotations

from dataclasses import dataclass

from talkbench.core.registry import Registry


@dataclass(frozen=True)
class Task:
    """A benchmark task: the metrics it reports (table column order) and its driving conditions."""

    name: str
    metrics: tuple[str, ...]
    conditions: tuple[str, ...] = ("original",)
    description: str = ""
    methods_of: str = ""
    """Another task whose methods also run this one ("" = only the task's own): lipsync re-drives reconstruct models."""


TASKS: Registry[Task] = Registry("task")
TASKS.register("reconstruct")(
    Task("reconstruct", metrics=("psnr", "ssim", "lpips", "lmd", "aue", "lse_c", "lse_d", "psnr_torso"),
         description="self-driven test split: the held-out last 1/11 of the clip rendered from its own audio and poses")
)
TASKS.register("lipsync")(
    Task("lipsync", metrics=("lmd", "aue", "lse_c", "lse_d"), conditions=("original", "corrupted"),
         description="the self-driven test split re-rendered from its clean speech (original) and from noisy speech "
                     "(corrupted), scored against the ground-truth frames (WildTalker Table 2; LMD added: it needs no "
                     "external weights)",
         methods_of="reconstruct")
)
TASKS.register("enhance")(
    Task("enhance", metrics=("pesq", "csig", "cbak", "covl", "stoi", "si_sdr"),
         conditions=("all", "snr=2.5", "snr=7.5", "snr=12.5", "snr=17.5"),
         description="speech enhancement of noisy utterances, scored against the clean speech (WildTalker Table 3)")
)
