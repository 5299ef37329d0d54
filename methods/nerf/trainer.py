"""The training loop of the NeRF talking heads: a head stage, a lip stage and a torso stage, as the references train.

Per head step, `sampling.frames_per_step` training frames are drawn and `sampling.num_rays` rays split between
them: `lips_fraction` inside the lips' box, up to `box_fraction` inside the frame's projected head box, the rest
anywhere (the references draw them anywhere; the smoke profiles concentrate them so a short run learns the
audio-driven mouth); rays that miss the box render as their background. The head stage composites the head
over the ground-truth frame with its head pixels replaced by the background (the references' "bg_torso").
The lip stage (LPIPS on the lips' box every other step, when the AlexNet weights are installed) continues the
head stage's schedule. The torso stage trains the torso with the head frozen: frozen head over (torso over
background). What is optimised and with which losses is the model's (`TalkingHeadModel` hooks); callbacks
(the occupancy grid) run around the steps. Every `stages.log_every` steps a row goes to curves.csv; the
checkpoint is model.pt (`checkpoint.save_checkpoint`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Protocol

import torch
from tqdm import tqdm

from talkbench.core.errors import InputError
from talkbench.core.types import Checkpoint, Clip
from talkbench.infra.devices import resolve_device
from talkbench.methods.nerf import losses
from talkbench.methods.nerf.checkpoint import save_checkpoint
from talkbench.methods.nerf.config import NeRFConfig
from talkbench.methods.nerf.curves import CurveLog
from talkbench.methods.nerf.data import PreparedClip, prepare_clip
from talkbench.methods.nerf.model import TalkingHeadModel
from talkbench.methods.nerf.render import RayBatch, render_head
from talkbench.methods.nerf.sampling import frame_rays, gather, sample_rays
from talkbench.methods.nerf.torso import pixel_coords, torso_entropy

CHECKPOINT_FILE = "model.pt"
CURVES_FILE = "curves.csv"


class TrainingCallback(Protocol):
    """Runs around the optimiser steps (nerfstudio's TrainingCallback): the occupancy grid is one."""

    def before_step(self, trainer: "Trainer", stage: str, step: int) -> None:
        """Called before each step of every stage (`step` counts from the start of training)."""

    def after_stage(self, trainer: "Trainer", stage: str) -> None:
        """Called after each stage, including a skipped lip stage."""


def _optimizer(groups: list[dict[str, Any]], cfg: NeRFConfig) -> torch.optim.Optimizer:
    groups = [g for g in groups if any(p.requires_grad for p in g["params"])]
    for g in groups:
        g["params"] = [p for p in g["params"] if p.requires_grad]
    opt = cfg.optim
    if opt.optimizer == "adamw":
        optimizer: torch.optim.Optimizer = torch.optim.AdamW(groups, betas=(opt.beta1, opt.beta2), eps=opt.adam_eps, weight_decay=0.0)
    elif opt.optimizer == "adam":
        optimizer = torch.optim.Adam(groups, betas=(opt.beta1, opt.beta2), eps=opt.adam_eps)
    else:
        raise InputError(f"optimizer must be 'adamw' or 'adam', got {opt.optimizer!r}")
    for g in optimizer.param_groups:
        g["initial_lr"] = g["lr"]
    return optimizer


class Trainer:
    """State of one training run (model, data, generator, curve log) and its three stages."""

    def __init__(self, model: TalkingHeadModel, clip: Clip, workdir: Path, seed: int) -> None:
        self.device = torch.device(resolve_device(model.cfg.device))
        self.gen = torch.Generator().manual_seed(seed)
        self.data: PreparedClip = prepare_clip(clip, model, self.device)
        if model.cfg.head.exp_eye and self.data.eye is None:  # nothing to condition the expression on
            model.cfg = model.cfg.with_values({"head.exp_eye": False})
        self.cfg = model.cfg
        self.workdir, self.seed = workdir, seed
        t, h, w, _ = clip.frames.shape
        self.t, self.h, self.w = t, h, w
        audio_in = (int(self.data.windows.shape[1]), int(self.data.windows.shape[2]))
        self.model = model.build(num_train=t, height=h, width=w, device=self.device, seed=seed, audio_in=audio_in).to(self.device)
        with torch.no_grad():
            self.model.background.copy_(self.data.background)
            self.model.train_poses.copy_(self.data.poses)
            self.model.audio_mean.copy_(torch.from_numpy(self.data.meta["audio_mean"]))
            self.model.audio_std.copy_(torch.from_numpy(self.data.meta["audio_std"]))
        self.model.torso.set_pose_statistics(self.data.poses)
        self.aabb = torch.tensor(self.data.geometry.aabb, device=self.device)
        self.callbacks = self.model.callbacks()
        self.curves = CurveLog(workdir / CURVES_FILE)
        self.timings: dict[str, float] = {}
        self.samples = 0
        self.lips_reason = ""

    # --- conditioning
    def conditioning(self, frames: torch.Tensor, per_frame: int, train: bool) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Per-ray audio codes, expression values and head codes for `per_frame` rays of each of `frames`."""
        enc_a = self.model.audio(self.data.windows, frames)
        eye = None
        if self.data.eye is not None:
            eye = self.data.eye[frames]
            if train and self.cfg.head.eye_noise:
                eye = eye + (torch.rand(eye.shape, generator=self.gen).to(self.device) - 0.5) * self.cfg.head.eye_noise
            eye = eye.repeat_interleave(per_frame, 0)
        ind = self.model.codes(frames)
        ind = ind.repeat_interleave(per_frame, 0) if ind is not None else None
        return enc_a.repeat_interleave(per_frame, 0), eye, ind

    def skip_empty(self, step: int | None = None) -> bool:
        """Whether samples in empty occupancy cells are skipped (after the warm-up when `step` is given)."""
        occ = self.cfg.occupancy
        return occ.resolution > 0 and (step is None or step >= occ.warmup)

    # --- the loop
    def _optimise(self, stage: str, opt: torch.optim.Optimizer, count: int, lr_factor: Callable[[int], float],
                  step_fn: Callable[[int, int], tuple[torch.Tensor, float]], *, first_step: int = 0) -> None:
        """`count` optimiser steps of one stage: callbacks, schedule, loss, update, curves and progress; timed.

        `step_fn(k, step)` gives (loss, batch PSNR) for the stage's k-th step, `step = first_step + k`
        counting from the start of training (the lip stage continues the head stage's count).
        """
        t0 = time.perf_counter()
        bar = tqdm(range(count), desc=f"{type(self.model).__name__} {stage}", unit="step", leave=False, disable=None)
        for k in bar:
            step = first_step + k
            for cb in self.callbacks:
                cb.before_step(self, stage, step)
            for g in opt.param_groups:
                g["lr"] = g["initial_lr"] * lr_factor(step)
            loss, p = step_fn(k, step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if k % self.cfg.stages.log_every == 0 or k == count - 1:
                self.curves.add(stage=stage, step=step, loss=float(loss.detach()), psnr=p, lr=float(opt.param_groups[0]["lr"]),
                                seconds=time.perf_counter() - t0, samples=self.samples)
                bar.set_postfix(loss=f"{float(loss.detach()):.4f}", psnr=f"{p:.2f}")
        self.timings[stage] = time.perf_counter() - t0

    def _end_stage(self, stage: str) -> None:
        for cb in self.callbacks:
            cb.after_stage(self, stage)

    def _head_rays(self, frames: torch.Tensor, pix: torch.Tensor) -> tuple[RayBatch, torch.Tensor]:
        """Rays of pixels [F, P] of frames [F] over the frames with their head replaced by background, and the targets."""
        origins, dirs = frame_rays(self.data, self.data.c2w[frames], pix, self.h, self.w)
        target = gather(self.data.frames, frames, pix).float() / 255.0
        in_head = self.data.head_mask.reshape(self.t, -1)[frames[:, None], pix].reshape(-1)
        background = torch.where(in_head[:, None], self.data.background.reshape(-1, 3)[pix.reshape(-1)], target)
        enc_a, eye, ind = self.conditioning(frames, pix.shape[1], train=True)
        return RayBatch(origins, dirs, enc_a, eye, ind, background), target

    def head_step(self, step: int, iters: int) -> tuple[torch.Tensor, float]:
        """One head-stage step: loss and batch PSNR."""
        s = self.cfg.sampling
        f = max(1, min(s.frames_per_step, s.num_rays))
        per = max(1, s.num_rays // f)
        frames = torch.randint(0, self.t, (f,), generator=self.gen).to(self.device)
        pix = sample_rays(self.data, frames, per, s.box_fraction, self.gen, s.lips_fraction)
        rays, target = self._head_rays(frames, pix)
        out = render_head(self.model, rays, self.aabb, s, perturb=True, generator=self.gen, skip_empty=self.skip_empty(step))
        self.samples += out.samples
        terms = self.model.head_loss_terms(out, target, self.data, frames, pix, step, iters)
        loss = terms[0]
        for term in terms[1:]:
            loss = loss + term
        return loss, losses.psnr(out.rgb, target)

    def lips_step(self, lpips_model: Any) -> tuple[torch.Tensor, float]:
        """One lip step: the whole lips box of a random frame, MSE + lambda_lpips * LPIPS."""
        assert self.data.lips_rect is not None
        frame = int(torch.randint(0, self.t, (1,), generator=self.gen))
        r0, r1, c0, c1 = (int(v) for v in self.data.lips_rect[frame])
        rows, cols = torch.meshgrid(torch.arange(r0, r1), torch.arange(c0, c1), indexing="ij")
        pix = (rows * self.w + cols).reshape(1, -1).to(self.device)
        frames = torch.tensor([frame], device=self.device)
        rays, target = self._head_rays(frames, pix)
        out = render_head(self.model, rays, self.aabb, self.cfg.sampling, perturb=True, generator=self.gen,
                          skip_empty=self.skip_empty())
        self.samples += out.samples
        loss = losses.photometric(out.rgb, target, self.cfg.loss.photometric).mean()
        shape = (1, r1 - r0, c1 - c0, 3)
        loss = loss + self.cfg.loss.lambda_lpips * losses.lpips_patches(lpips_model, out.rgb.reshape(shape), target.reshape(shape))
        return loss, losses.psnr(out.rgb, target)

    def train_head(self) -> None:
        """Head stage, then (when LPIPS is available) the lip stage."""
        cfg = self.cfg
        opt = _optimizer(self.model.param_groups("head"), cfg)
        iters = max(cfg.stages.iters, 0)
        self.model.train()
        self._optimise("head", opt, iters, lambda step: cfg.optim.lr_decay ** (step / max(iters, 1)),
                       lambda k, step: self.head_step(step, iters))
        self._end_stage("head")
        self.lips_reason = self.train_lips(opt, iters)
        self._end_stage("lips")

    def train_lips(self, opt: torch.optim.Optimizer, head_iters: int) -> str:
        """The lip stage; returns why it was skipped, or "" when it ran."""
        cfg = self.cfg
        if cfg.stages.lips_iters <= 0:
            return "lips_iters = 0"
        if self.data.lips_rect is None:
            return "no landmarks annotation to locate the lips"
        model, reason = losses.load_lpips(self.device)
        if model is None:
            return f"LPIPS unavailable: {reason}"
        total = head_iters + cfg.stages.lips_iters
        # the references alternate: a lips-box step with LPIPS, then an ordinary step
        self._optimise("lips", opt, cfg.stages.lips_iters, lambda step: cfg.optim.lips_lr_decay ** (step / max(total, 1)),
                       lambda k, step: self.lips_step(model) if k % 2 == 0 else self.head_step(step, total),
                       first_step=head_iters)
        return ""

    def torso_step(self, step: int, iters: int) -> tuple[torch.Tensor, float]:
        """One torso-stage step over random pixels: frozen head over (torso over background) vs the frame."""
        s = self.cfg.sampling
        f = max(1, min(s.frames_per_step, s.torso_num_rays))
        per = max(1, s.torso_num_rays // f)
        frames = torch.randint(0, self.t, (f,), generator=self.gen).to(self.device)
        pix = torch.randint(0, self.h * self.w, (f, per), generator=self.gen).to(self.device)
        target = gather(self.data.frames, frames, pix).float() / 255.0
        coords = pixel_coords(pix.reshape(-1), self.h, self.w).to(self.device)
        pose_code = self.model.torso.pose_code(self.data.poses[frames]).repeat_interleave(per, 0)
        tcode = self.model.torso.codes(frames)
        tcode = tcode.repeat_interleave(per, 0) if tcode is not None else None
        alpha, colour, _ = self.model.torso(coords, pose_code, tcode)
        bg = self.model.background.reshape(-1, 3)[pix.reshape(-1)]
        behind = colour * alpha + bg * (1 - alpha)
        with torch.no_grad():
            origins, dirs = frame_rays(self.data, self.data.c2w[frames], pix, self.h, self.w)
            enc_a, eye, ind = self.conditioning(frames, per, train=False)
            head = render_head(self.model, RayBatch(origins, dirs, enc_a, eye, ind, torch.zeros_like(bg)), self.aabb, s,
                               perturb=False, generator=None, skip_empty=self.skip_empty())
            self.samples += head.samples
        pred = head.rgb + (1 - head.accumulation)[:, None] * behind
        per_ray = losses.photometric(pred, target, self.cfg.loss.photometric)
        weights = self.model.torso_ray_weights(self.data, frames, pix)
        if weights is not None:
            per_ray = per_ray * weights
        loss = per_ray.mean()
        loss = loss + self.model.torso.anchor_loss() + self.cfg.loss.lambda_entropy * torso_entropy(alpha)
        return loss, losses.psnr(pred, target)

    def train_torso(self) -> None:
        """Torso stage (head, audio and codes frozen)."""
        cfg = self.cfg
        iters = max(cfg.stages.torso_iters, 0)
        if iters == 0:
            return
        for name, p in self.model.named_parameters():
            p.requires_grad_(name.startswith("torso."))
        opt = _optimizer(self.model.param_groups("torso"), cfg)
        self._optimise("torso", opt, iters, lambda step: cfg.optim.lr_decay ** (step / max(iters, 1)),
                       lambda k, step: self.torso_step(step, iters))
        for p in self.model.parameters():
            p.requires_grad_(True)
        self._end_stage("torso")


def checkpoint_config(trainer: Trainer, fps: float) -> dict[str, Any]:
    """Plain data stored in the checkpoint: what `drive.load_model` needs to rebuild the model and render."""
    data, model = trainer.data, trainer.model
    return {
        "model": type(model).__name__,
        "method_config": trainer.cfg.to_dict(),
        "geometry": data.geometry.to_dict(),
        "intrinsics": list(data.intrinsics),
        "height": trainer.h,
        "width": trainer.w,
        "num_train": trainer.t,
        "fps": fps,
        "eye": data.meta["eye"],
        "audio": data.meta["audio"],
        "torso_trained": trainer.cfg.stages.torso_iters > 0,
        "lips": {"ran": trainer.lips_reason == "", "skipped_because": trainer.lips_reason},
        **model.checkpoint_extras(data),
    }


def train_model(model: TalkingHeadModel, clip: Clip, workdir: Path, seed: int) -> Checkpoint:
    """Train head (+ lips) and torso on the training clip; write model.pt and curves.csv into `workdir`."""
    model.require_audio()  # missing weights or packages: fail before any work
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    tr = Trainer(model, clip, workdir, seed)
    prep = time.perf_counter() - t0
    tr.train_head()
    tr.train_torso()
    tr.curves.write()
    cfg = tr.cfg
    stages = cfg.stages
    save_checkpoint(workdir / CHECKPOINT_FILE, tr.model, None, step=stages.iters + stages.lips_iters + stages.torso_iters,
                    config=checkpoint_config(tr, clip.fps))
    meta: dict[str, Any] = {
        "checkpoint": CHECKPOINT_FILE,
        "curves": CURVES_FILE,
        "device": str(tr.device),
        "seconds": {"prepare": round(prep, 3), **{k: round(v, 3) for k, v in tr.timings.items()}},
        "field_evaluations": tr.samples,
        "stages": {s: tr.curves.summary(s) for s in ("head", "lips", "torso") if tr.curves.summary(s)},
        "lips": "ran" if tr.lips_reason == "" else f"skipped: {tr.lips_reason}",
        "head_box_m": tr.data.geometry.to_dict(),
        "audio_features": {k: v for k, v in tr.data.meta["audio"].items() if k != "mss_noise"},
        "eye": tr.data.meta["eye"]["source"] if cfg.head.exp_eye else "off",
        **{k: tr.data.meta[k] for k in ("poses", "temporal_mask") if k in tr.data.meta},
    }
    return Checkpoint(path=workdir, meta=meta)

