"""`reconstruct`: train on the clip's training split, render the self-driven test split from its own audio (and
the poses, reference image or frames the method declares), score against the ground-truth test frames."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from talkbench.core import annotations
from talkbench.core.errors import BenchError
from talkbench.core.metric import MetricResult
from talkbench.core.method import Configurable, Method
from talkbench.core.task import Task
from talkbench.core.types import Clip, Drive, Video
from talkbench.datasets.cards import get_card, load_dataset
from talkbench.harness.context import JobContext, TaskOutput
from talkbench.harness.run_dir import write_video_run
from talkbench.harness.stages import render_stage, score_stage, train_stage
from talkbench.infra import numerics
from talkbench.infra.hashing import stable_hash


class ReconstructTask(Task):
    """WildTalker Table 1 / SyncTalk Table 1: the held-out last 1/11 of the clip rendered from its own audio."""

    name: ClassVar[str] = "reconstruct"
    metrics: ClassVar[tuple[str, ...]] = ("psnr", "ssim", "lpips", "lmd", "aue", "lse_c", "lse_d", "psnr_torso")
    description: ClassVar[str] = ("self-driven test split: the held-out last 1/11 of the clip rendered from its own audio "
                                  "and poses")

    def accepts(self, method_cls: type[Configurable]) -> bool:
        """Any video method (`Method`)."""
        return issubclass(method_cls, Method)

    def drives(self, test: Clip, card_data: dict[str, Any]) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
        """The driving audio per condition, and how it was made."""
        return {"original": (test.audio, {"audio": "the test split's own audio"})}

    def audio_key(self, condition: str, audio: np.ndarray) -> str:
        """What of the driving audio enters the render key (the test split's own audio is fixed by the data)."""
        return "original"

    def run(self, job: JobContext) -> TaskOutput:
        """Train (cached), render each condition (cached), score each render against the ground-truth frames."""
        spec = job.spec
        clip = job.load(load_dataset)
        caps = job.method.capabilities()
        annotations.require(clip, caps.annotations, spec.method)
        train_key = stable_hash({"method": spec.method, "config": job.config,
                                 "data": job.dataset_sha or clip.meta.get("cache_key"), "n_train": clip.n_train,
                                 "seed": spec.seed, "code": job.code, "environment": job.method.environment_key(),
                                 "numerics": numerics.active_mode()})
        checkpoint, job.timings["train"], train_cached = train_stage(job.method, clip, spec, train_key)

        test = clip.test()
        reference = Video(frames=test.annotations.get("clean_frames", test.frames), fps=test.fps, audio=test.audio,
                          source=f"{spec.dataset} test split")
        drives = self.drives(test, get_card(spec.dataset).data_for(spec.profile))
        results: dict[str, dict[str, MetricResult]] = {}
        render_keys: dict[str, str] = {}
        renders: dict[str, Video] = {}
        cached: dict[str, bool] = {"train": train_cached}
        job.timings["render"] = job.timings["metrics"] = 0.0
        for condition, (audio, how) in drives.items():
            drive = Drive(audio=np.asarray(audio, np.float32), fps=test.fps, num_frames=test.num_frames,
                          poses=test.annotations.get(caps.pose_annotation(test.annotations)) if "poses" in caps.inputs else None,
                          condition=condition, reference=test if "ground_truth" in caps.inputs else None,
                          original_frames=test.frames if "original_frames" in caps.inputs else None)
            key = stable_hash({"train": train_key, "condition": self.audio_key(condition, audio),
                               "frames": test.num_frames, "code": job.code})
            pred, seconds, was_cached = render_stage(job.method, checkpoint, drive, spec, key)
            if pred.frames.shape != reference.frames.shape:
                raise BenchError(f"{spec.method} rendered {pred.frames.shape}, expected {reference.frames.shape}")
            pred.audio = drive.audio
            scored, score_s = score_stage(job.metric_classes, pred, reference, test, spec, job.run_dir, job.device,
                                          condition, key, caps.compositing_label)
            for res in scored.values():
                res.details.setdefault("driving_audio", how["audio"])
            results[condition], render_keys[condition], renders[condition] = scored, key, pred
            cached[f"render:{condition}"] = was_cached
            job.timings["render"] += seconds
            job.timings["metrics"] += score_s

        def write(prov: dict[str, Any]) -> None:
            write_video_run(job.run_dir, spec, job.config, prov, renders, reference, results, test, checkpoint)

        return TaskOutput(results, {"cached_stages": cached, "train_key": train_key, "render_keys": render_keys,
                                    "driving_audio": {c: how for c, (_, how) in drives.items()}}, write)
