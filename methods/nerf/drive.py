"""Rendering a drive with a trained NeRF talking head: every frame's torso, then the head over it, then the model's
post-processes. Frames are drawn in chunks of `sampling.max_ray_batch` rays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from talkbench import audio_features as audio_encoders
from talkbench.core.errors import InputError
from talkbench.core.types import Drive, Video
from talkbench.infra.devices import resolve_device
from talkbench.methods.nerf.audio import normalise_windows
from talkbench.methods.nerf.checkpoint import load_checkpoint
from talkbench.methods.nerf.head_box import HeadGeometry
from talkbench.methods.nerf.model import TalkingHeadModel
from talkbench.methods.nerf.rays import camera_rays
from talkbench.methods.nerf.render import RayBatch, render_head
from talkbench.methods.nerf.torso import pixel_coords


def load_model(path: Path, model_cls: type[TalkingHeadModel], device: str = "auto") -> tuple[TalkingHeadModel, dict[str, Any]]:
    """Rebuild a trained model of class `model_cls` from its checkpoint file."""
    state = load_checkpoint(path)  # validates the file before we build anything
    saved = state.config
    try:
        if saved.get("model") != model_cls.__name__:
            raise ValueError(f"it holds a {saved.get('model')!r}, not a {model_cls.__name__}")
        cfg = model_cls.Config.from_dict(saved["method_config"])
        dev = torch.device(resolve_device(device if device != "auto" else cfg.device))
        audio = saved.get("audio")
        audio_in = (int(audio["dims"]), int(audio["window"])) if audio else None
        model = model_cls(cfg).build(num_train=int(saved["num_train"]), height=int(saved["height"]),
                                     width=int(saved["width"]), device=dev, audio_in=audio_in)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"checkpoint {path} has an unusable config: {type(exc).__name__}: {exc}") from None
    load_checkpoint(path, model)
    model.to(dev)
    model.eval()
    return model, saved


def drive_windows(model: TalkingHeadModel, saved: dict[str, Any], drive: Drive, device: str = "cpu") -> np.ndarray:
    """The driving audio's windows [T, D, W] by the extractor the checkpoint was trained with (same weights digest)."""
    trained = saved.get("audio") or {"name": "log-mel", "weights_sha256": None}
    name = str(trained["name"])
    audio_encoders.require(name)
    windows, info = audio_encoders.extract(name, model.drive_audio(trained, drive), int(drive.num_frames), drive.fps,
                                           drive.sample_rate, n_mels=model.cfg.audio.n_mels, device=device)
    if info["weights_sha256"] != trained.get("weights_sha256"):
        raise InputError(f"the checkpoint was trained on {name} features from weights sha256 "
                         f"{str(trained.get('weights_sha256'))[:12]}…, the installed {info['weights']} are "
                         f"{str(info['weights_sha256'])[:12]}…: reinstall those weights or retrain")
    return windows


def drive_poses(model: TalkingHeadModel, drive: Drive) -> np.ndarray:
    """The drive's head poses [T, 4, 4], or the training poses replayed back and forth (the references, for novel audio)."""
    n = int(drive.num_frames)
    if drive.poses is not None:
        poses = np.asarray(drive.poses, np.float64)
        if poses.shape != (n, 4, 4):
            raise InputError(f"drive poses must be [{n}, 4, 4], got {poses.shape}")
        return poses
    train = model.train_poses.cpu().numpy().astype(np.float64)
    period = np.concatenate([np.arange(len(train)), np.arange(len(train))[::-1]])
    return train[period[np.arange(n) % len(period)]]


@torch.no_grad()
def render_drive(path: Path, model_cls: type[TalkingHeadModel], drive: Drive, device: str = "auto") -> Video:
    """Render `drive.num_frames` frames from the driving audio and head poses."""
    model, saved = load_model(path, model_cls, device)
    cfg = model.cfg
    dev = model.background.device
    h, w = int(saved["height"]), int(saved["width"])
    geometry = HeadGeometry.from_dict(saved["geometry"])
    intr = tuple(saved["intrinsics"])
    n = int(drive.num_frames)
    poses = drive_poses(model, drive)
    windows = drive_windows(model, saved, drive, str(dev))
    windows = normalise_windows(windows, model.audio_mean.cpu().numpy(), model.audio_std.cpu().numpy())
    win = torch.from_numpy(windows).to(dev)
    enc_all = torch.cat([model.audio(win, torch.arange(s, min(n, s + 256), device=dev)) for s in range(0, n, 256)])
    if cfg.audio.smooth_lips:  # RAD-NeRF's test-time smoothing of the audio code
        for i in range(1, n):
            enc_all[i] = 0.35 * enc_all[i - 1] + 0.65 * enc_all[i]
    post = model.post_processes(saved, drive)
    eye_value = torch.tensor(np.atleast_1d(np.asarray(saved["eye"].get("render_value", 0.0), np.float32)), device=dev)
    c2w = torch.from_numpy(geometry.camera_to_nerf(poses)).to(dev)
    poses_t = torch.from_numpy(poses.astype(np.float32)).to(dev)
    rect = geometry.project_box(poses, intr[0], intr[1], intr[2] - 0.5, intr[3] - 0.5, h, w)
    aabb = torch.tensor(geometry.aabb, device=dev)
    coords_all = pixel_coords(torch.arange(h * w, device=dev), h, w)
    background = model.background.reshape(-1, 3)
    tcode = model.torso.codes.test_code(1)
    icode = model.codes.test_code(1)
    skip_empty = cfg.occupancy.resolution > 0
    out = np.empty((n, h, w, 3), np.uint8)
    chunk = max(1, int(cfg.sampling.max_ray_batch))
    for i in tqdm(range(n), desc=f"render {type(model).__name__}", unit="frame", leave=False, disable=None):
        # torso over background, every pixel
        torso_alpha = torch.zeros(h * w, device=dev)
        if saved.get("torso_trained", True):
            pose_code = model.torso.pose_code(poses_t[i:i + 1])
            behind = torch.empty(h * w, 3, device=dev)
            for s in range(0, h * w, chunk):
                e = min(h * w, s + chunk)
                alpha, colour, _ = model.torso(coords_all[s:e], pose_code.expand(e - s, -1),
                                               tcode.expand(e - s, -1) if tcode is not None else None)
                behind[s:e] = colour * alpha + background[s:e] * (1 - alpha)
                torso_alpha[s:e] = alpha.reshape(-1)
        else:
            behind = background.clone()
        # head over it, inside the projected head box
        r0, r1, c0, c1 = (int(v) for v in rect[i])
        rows, cols = torch.meshgrid(torch.arange(r0, r1, device=dev), torch.arange(c0, c1, device=dev), indexing="ij")
        pix = (rows * w + cols).reshape(-1)
        image = behind.clone()
        head_alpha = torch.zeros(h * w, device=dev)
        for s in range(0, pix.numel(), chunk):
            p = pix[s:s + chunk]
            r = camera_rays(c2w[i], intr, h, w, pixel_index=p)
            m = p.numel()
            rays = RayBatch(r.origins, r.directions, enc_all[i:i + 1].expand(m, -1),
                            eye_value.expand(m, -1) if cfg.head.exp_eye else None,
                            icode.expand(m, -1) if icode is not None else None, behind[p])
            res = render_head(model, rays, aabb, cfg.sampling, perturb=False, generator=None, skip_empty=skip_empty)
            image[p] = res.rgb
            head_alpha[p] = res.accumulation
        frame = image.clamp(0, 1).reshape(h, w, 3).cpu().numpy()
        head_np = head_alpha.reshape(h, w).cpu().numpy() if post else None
        torso_np = torso_alpha.reshape(h, w).cpu().numpy() if post else None
        for step in post:
            frame = step.on_float(frame, head_np, torso_np, i)
        out[i] = (frame * 255.0 + 0.5).astype(np.uint8)
        for step in post:
            out[i] = step.on_image(out[i], head_np, i)
    return Video(frames=out, fps=drive.fps, audio=drive.audio, sample_rate=drive.sample_rate)
