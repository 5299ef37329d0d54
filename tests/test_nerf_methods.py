"""ER-NeRF and RAD-NeRF end to end on a tiny clip: a few steps on CPU, render, determinism, checkpoints, curves.

nerfstudio-style "every method trains a few iterations" tests: they check the plumbing (shapes,
dtypes, files, seeds), not quality. Whether the smoke profile beats the static baseline is a
measured run (`bench run --method er-nerf --method rad-nerf --method static ...`), not a test.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import inspect
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench.perception.background import estimate_background
from talkbench.core.errors import InputError
from talkbench.core.types import Checkpoint, Drive
from talkbench.methods.nerf.audio import AudioEncoder, audio_windows, eye_aspect_ratio, eye_feature, neighbour_indices
from talkbench.methods.nerf.checkpoint import load_checkpoint
from talkbench.methods.nerf.config import NeRFConfig
from talkbench.methods.nerf.drive import load_model
from talkbench.methods.nerf.trainer import CHECKPOINT_FILE, CURVES_FILE

# A few steps of everything, at sizes a 64 px clip needs.
TINY = {
    "stages.iters": "6",
    "stages.lips_iters": "0",
    "stages.torso_iters": "4",
    "sampling.num_rays": "256",
    "sampling.torso_num_rays": "256",
    "sampling.frames_per_step": "2",
    "sampling.num_steps": "8",
    "occupancy.resolution": "12",
    "occupancy.warmup": "3",
    "occupancy.update_interval": "3",
    "head.grid.levels": "4",
    "head.grid.desired_resolution": "64",
    "torso.grid.levels": "4",
    "torso.grid.desired_resolution": "64",
    "stages.log_every": "2",
    "sampling.max_ray_batch": "1024",
}
RAD_TINY = {"ambient_grid.levels": "4", "ambient_grid.desired_resolution": "64"}


STAGE_KEYS = {"iters": "stages.iters", "torso_iters": "stages.torso_iters", "lips_iters": "stages.lips_iters"}


def _method(name: str, **extra: str):
    from talkbench.core.registries import METHODS

    cls = METHODS.get(name)
    extra = {STAGE_KEYS.get(k, k): v for k, v in extra.items()}
    overrides = dict(TINY, **(RAD_TINY if name == "rad-nerf" else {}), **extra)
    return cls(cls.config_for("smoke", overrides))


@pytest.fixture
def tiny_clip(tiny_cards):
    """The 5 s, 64 px synthetic portrait (113 training frames, 12 test frames)."""
    from talkbench.datasets.cards import load_dataset

    return load_dataset("synthetic-portrait", "smoke")


def _drive(clip, poses: bool = True) -> Drive:
    test = clip.test()
    return Drive(audio=test.audio, fps=test.fps, num_frames=test.num_frames,
                 poses=test.annotations["head_pose"] if poses else None)


def _train(method, clip, workdir: Path, seed: int = 0) -> Checkpoint:
    from talkbench.harness.stages import seed_everything

    workdir.mkdir(parents=True, exist_ok=True)
    seed_everything(seed)
    return method.train(clip.train(), workdir, seed)


# ----------------------------------------------------------------------------- the methods


@pytest.fixture
def one_thread():
    """One CPU thread: multi-threaded float reductions (scatter/index_add) may sum in a different order run to run."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("name", ["er-nerf", "rad-nerf"])
def test_train_render_determinism_and_round_trip(name: str, tiny_clip, tmp_path: Path, one_thread) -> None:
    method = _method(name)
    ck = _train(method, tiny_clip, tmp_path / "a", seed=3)

    # files and meta
    assert (ck.path / CHECKPOINT_FILE).is_file()
    assert ck.meta["curves"] == CURVES_FILE and ck.meta["checkpoint"] == CHECKPOINT_FILE
    assert ck.meta["lips"].startswith("skipped: lips_iters = 0")
    assert set(ck.meta["stages"]) == {"head", "torso"}
    rows = list(csv.DictReader(open(ck.path / CURVES_FILE)))
    assert rows and set(rows[0]) == {"stage", "step", "loss", "psnr", "lr", "seconds", "samples"}
    assert [r["stage"] for r in rows].count("head") == 4 and [r["stage"] for r in rows].count("torso") == 3
    assert all(np.isfinite(float(r["loss"])) and float(r["loss"]) > 0 for r in rows)

    # render: uint8 at the clip's resolution, one frame per driving frame
    drive = _drive(tiny_clip)
    video = method.render(ck, drive)
    assert video.frames.dtype == np.uint8 and video.frames.shape == (drive.num_frames, 64, 64, 3)
    assert video.fps == drive.fps and video.audio is drive.audio
    assert video.frames.std() > 5  # a picture, not a constant

    # same seed -> same weights and same frames; another seed -> different weights
    again = _train(_method(name), tiny_clip, tmp_path / "b", seed=3)
    state_a = torch.load(ck.path / CHECKPOINT_FILE, weights_only=True)["model"]
    state_b = torch.load(again.path / CHECKPOINT_FILE, weights_only=True)["model"]
    assert state_a.keys() == state_b.keys()
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    np.testing.assert_array_equal(_method(name).render(again, drive).frames, video.frames)
    other = _train(_method(name), tiny_clip, tmp_path / "c", seed=4)
    state_c = torch.load(other.path / CHECKPOINT_FILE, weights_only=True)["model"]
    assert not all(torch.equal(state_a[k], state_c[k]) for k in state_a)

    # checkpoint round trip: a moved checkpoint directory renders the same frames with a fresh method object
    moved = tmp_path / "moved"
    shutil.copytree(ck.path, moved)
    np.testing.assert_array_equal(_method(name).render(Checkpoint(path=moved), drive).frames, video.frames)
    model, saved = load_model(moved / CHECKPOINT_FILE, method.Model)
    assert saved["model"] == method.Model.__name__ and saved["height"] == 64 and model.cfg.stages.iters == 6
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k].cpu(), state_a[k]) for k in state_a)

    # without poses the training poses are replayed
    assert method.render(ck, _drive(tiny_clip, poses=False)).frames.shape == video.frames.shape


def test_corrupt_checkpoint_is_one_readable_error(tiny_clip, tmp_path: Path) -> None:
    method = _method("er-nerf", iters="2", torso_iters="0")
    ck = _train(method, tiny_clip, tmp_path / "w")
    path = ck.path / CHECKPOINT_FILE
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="model.pt"):
        method.render(ck, _drive(tiny_clip))


def test_missing_annotations_are_refused(tiny_clip, tmp_path: Path) -> None:
    clip = tiny_clip.train()
    del clip.annotations["head_mask"]
    with pytest.raises(InputError, match="head_mask"):
        _method("rad-nerf").train(clip, tmp_path, 0)


@pytest.fixture
def installed_random_alexnet(tiny_cards, bench_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A seeded random AlexNet installed as the LPIPS backbone (the registry expecting its hash)."""
    from talkbench.infra import weights
    from talkbench.infra.torchvision_compat import import_torchvision
    from talkbench.zoo import lpips as lpips_mod

    tv = import_torchvision()
    torch.manual_seed(1234)
    src = tmp_path / "alexnet-random.pth"
    torch.save(tv.models.alexnet().state_dict(), src)
    entry = dataclasses.replace(weights.ENTRIES["alexnet"], sha256=weights.sha256_of(src))
    monkeypatch.setitem(weights.ENTRIES, "alexnet", entry)
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, entry.path)
    hub_before = getattr(torch.hub, "_hub_dir", None)
    lpips_mod.clear_cache()
    yield entry.path
    lpips_mod.clear_cache()
    torch.hub._hub_dir = hub_before


def test_lip_stage_runs_with_lpips_weights(installed_random_alexnet, tiny_clip, tmp_path: Path) -> None:
    ck = _train(_method("er-nerf", iters="2", lips_iters="4", torso_iters="0"), tiny_clip, tmp_path / "w")
    assert ck.meta["lips"] == "ran"
    stages = [r["stage"] for r in csv.DictReader(open(ck.path / CURVES_FILE))]
    assert "lips" in stages and "torso" not in stages


def test_lip_stage_is_skipped_with_the_reason_without_weights(tiny_clip, tmp_path: Path) -> None:
    ck = _train(_method("rad-nerf", iters="2", lips_iters="2", torso_iters="0"), tiny_clip, tmp_path / "w")
    assert ck.meta["lips"].startswith("skipped: LPIPS unavailable") and "alexnet" in ck.meta["lips"]


# ----------------------------------------------------------------------------- registration and configs


def _field_docstrings(cls: type) -> set[str]:
    """Names of dataclass fields followed by a string literal in `cls`'s own body."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    named = set()
    for stmt, nxt in zip(body, body[1:]):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if isinstance(nxt, ast.Expr) and isinstance(getattr(nxt, "value", None), ast.Constant) and isinstance(nxt.value.value, str):
                named.add(stmt.target.id)
    return named


@pytest.mark.parametrize("name", ["er-nerf", "rad-nerf", "synctalk", "wildtalker"])
def test_registered_with_documented_config_and_profiles(name: str) -> None:
    from talkbench.core.registries import METHODS

    cls = METHODS.get(name)
    assert cls.name == name and not cls().capabilities().gpu
    undocumented = []
    pending = [cls.Config]
    while pending:  # the config and every nested group
        config_cls = pending.pop()
        documented = set().union(*(_field_docstrings(c) for c in config_cls.__mro__ if dataclasses.is_dataclass(c)))
        for f in dataclasses.fields(config_cls):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if dataclasses.is_dataclass(default):
                pending.append(type(default))
            elif f.name not in documented:
                undocumented.append(f"{config_cls.__name__}.{f.name}")
    assert not undocumented, f"fields without a docstring: {sorted(undocumented)}"
    assert set(cls.profiles) == {"smoke", "tiny"}, "the paper profile is the Config's defaults, written once"
    leaves = cls.Config().leaves()
    for profile in cls.profiles.values():
        assert set(profile) <= set(leaves)
    paper = cls.config_for("paper")
    assert paper == cls.Config(), "the Config defaults are the public configuration (the paper profile)"
    assert paper.sampling.num_rays == 4096 * 16 and paper.sampling.num_steps == 16 and paper.device == "auto"
    smoke = cls.config_for("smoke")
    assert smoke.device == "cpu" and smoke.stages.iters <= 2000


def test_paper_profiles_carry_the_public_configs() -> None:
    from talkbench.methods.er_nerf.method import ERNeRF
    from talkbench.methods.rad_nerf.method import RADNeRF

    er, rad = ERNeRF.config_for("paper"), RADNeRF.config_for("paper")
    assert (er.stages.iters, er.stages.lips_iters, er.stages.torso_iters) == (100_000, 25_000, 200_000)
    o = er.optim
    assert (o.lr, o.lr_net, o.optimizer, o.beta1, o.grid_weight_decay, o.att_weight_decay) == (1e-2, 1e-3, "adamw", 0.0, 0.01, 1e-4)
    g = er.head.grid
    assert (g.levels, g.level_dim, g.base_resolution, g.log2_hashmap_size, g.desired_resolution) == (12, 1, 64, 14, 512)
    assert (rad.stages.iters, rad.stages.lips_iters, rad.stages.torso_iters) == (200_000, 50_000, 200_000)
    o = rad.optim
    assert (o.lr, o.lr_net, o.optimizer, o.beta1, o.adam_eps, o.lr_decay) == (5e-3, 5e-4, "adam", 0.9, 1e-15, 0.1)
    g = rad.head.grid
    assert (g.levels, g.level_dim, g.log2_hashmap_size, g.desired_resolution, rad.audio.dim) == (16, 2, 16, 2048, 64)
    assert rad.audio.smooth_lips and rad.loss.lambda_amb == 0.1 and rad.ambient_grid.levels == 16
    assert issubclass(type(er), NeRFConfig) and issubclass(type(rad), NeRFConfig)


def test_synctalk_and_wildtalker_train_render_with_their_modules_and_record_them(tiny_cards, tmp_path: Path) -> None:
    from talkbench.datasets.cards import load_dataset

    wild = load_dataset("synthetic-portrait-wild", "smoke")
    for name in ("synctalk", "wildtalker"):
        method = _method(name)
        ck = _train(method, wild, tmp_path / name)
        video = method.render(ck, _drive(wild))
        assert video.frames.shape == wild.test().frames.shape and video.frames.dtype == np.uint8
        saved = load_checkpoint(ck.path / CHECKPOINT_FILE).config
        assert saved["audio"]["name"] == "log-mel" and "syncnet_v2" in saved["audio"]["fallback"]  # weights absent here
        assert saved["eye"]["dims"] == 7 and len(saved["eye"]["render_value"]) == 7
        assert saved["poses"]["annotation"] == "head_pose" and "no stabilized poses" in saved["poses"]["note"]
        assert len(saved["neck_colour"]) == 3
        assert saved["audio"].get("mss", False) is (name == "wildtalker")  # SyncTalk has no audio front end
        assert (len(saved["audio"].get("mss_noise", [])) == 4000) is (name == "wildtalker")  # 0.25 s of the recording's noise
        assert ("temporal_mask" in saved) is (name == "wildtalker")
    off = _method("wildtalker", mss="off", temporal_mask="off", head_stabilizer="off", expression="eye",
                  masked_attention="off", neck_fill="off")
    ck = _train(off, wild, tmp_path / "off")
    saved = load_checkpoint(ck.path / CHECKPOINT_FILE).config
    assert saved["eye"]["dims"] == 1 and not saved["audio"]["mss"]
    assert not {"temporal_mask", "neck_colour"} & set(saved) and "note" not in saved["poses"]
    assert off.render(ck, _drive(wild)).frames.shape == wild.test().frames.shape


def test_switches_belong_to_their_methods() -> None:
    """SyncTalk's and WildTalker's switches live in their configs: ER-NeRF and RAD-NeRF do not know them."""
    from talkbench.core.errors import BenchError

    for switch in ("expression", "masked_attention", "mss", "temporal_mask", "portrait"):
        with pytest.raises(BenchError, match="unknown config field"):
            _method("rad-nerf", **{switch: "on"})
        with pytest.raises(BenchError, match="unknown config field"):
            _method("er-nerf", **{switch: "on"})


# ----------------------------------------------------------------------------- parts


def test_background_is_the_uncovered_median_and_inpaints_the_rest() -> None:
    rng = np.random.default_rng(0)
    t, h, w = 9, 24, 32
    plate = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    frames = np.repeat(plate[None], t, axis=0)
    mask = np.zeros((t, h, w), bool)
    for i in range(t):  # a "person" square moving left to right, with its own colours
        mask[i, 4:14, 2 + 3 * i: 8 + 3 * i] = True
    frames[mask] = rng.integers(0, 256, (int(mask.sum()), 3), dtype=np.uint8)
    # a column of noise in a minority of frames not marked as person: the median ignores it
    frames[:3, :, 30] = 255
    mask[:, 18:22, 10:14] = True  # never uncovered: inpainted
    frames[:, 18:22, 10:14] = 0
    bg = estimate_background(frames, mask)
    assert bg.dtype == np.uint8 and bg.shape == (h, w, 3)
    never = np.zeros((h, w), bool)
    never[18:22, 10:14] = True
    np.testing.assert_array_equal(bg[~never], plate[~never])
    # inpainted values come from the surroundings, not from the hidden (black) content
    neighbourhood = plate[16:24, 8:16].reshape(-1, 3).astype(float)
    assert abs(bg[never].astype(float).mean() - neighbourhood.mean()) < 40


def test_background_checks_its_inputs() -> None:
    frames = np.zeros((2, 4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="person_mask"):
        estimate_background(frames, np.zeros((2, 4, 5), bool))
    with pytest.raises(ValueError, match="uint8"):
        estimate_background(frames.astype(np.float32), np.zeros((2, 4, 4), bool))
    all_covered = estimate_background(frames + 7, np.ones((2, 4, 4), bool))
    assert np.all(all_covered == 7)


def test_audio_windows_neighbours_and_encoder() -> None:
    sr, fps, n = 16_000, 25.0, 10
    t = np.arange(int(sr * n / fps)) / sr
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * (t > 0.2)).astype(np.float32)
    win = audio_windows(audio, n, fps, sr, n_mels=24)
    assert win.shape == (n, 24, 16) and win.dtype == np.float32
    assert win[-1].mean() > win[0].mean()  # sound only after 0.2 s
    idx, valid = neighbour_indices(torch.tensor([0, 5, 9]), n)
    assert idx.shape == (3, 8) and idx[0].tolist() == [0, 0, 0, 0, 0, 1, 2, 3]
    assert valid[0].tolist() == [False] * 4 + [True] * 4 and valid[2].tolist() == [True] * 5 + [False] * 3
    enc = AudioEncoder(24, 32)
    out = enc(torch.from_numpy(win), torch.tensor([0, 4, 9]))
    assert out.shape == (3, 32) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None for p in enc.parameters())


def test_eye_features() -> None:
    lm = np.zeros((2, 68, 2), np.float32)
    for eye in (slice(36, 42), slice(42, 48)):
        lm[:, eye] = [[0, 0], [1, -1], [3, -1], [4, 0], [3, 1], [1, 1]]
    lm[1, 37:39, 1] = 0.0  # upper lids lowered: half closed
    lm[1, 43:45, 1] = 0.0
    ear = eye_aspect_ratio(lm)
    np.testing.assert_allclose(ear, [0.5, 0.25], rtol=1e-6)
    assert eye_feature({"eye_ratio": np.array([0.1, 0.2])}, 2)[1] == "annotations.eye_ratio"
    assert eye_feature({"landmarks": lm}, 2)[1].startswith("eye aspect ratio")
    values, source = eye_feature({"blink": np.array([0.0, 1.0])}, 2)
    assert source == "1 - annotations.blink" and values.tolist() == [1.0, 0.0]
    assert eye_feature({}, 2) == (None, "none")


def test_tiny_clip_trains_in_a_workdir_the_runner_can_cache(tiny_clip, tmp_path: Path) -> None:
    """The checkpoint meta is JSON-able (the runner writes it to DONE.json) and names files inside the workdir."""
    import json

    ck = _train(_method("rad-nerf", iters="2", torso_iters="2"), tiny_clip, tmp_path / "w")
    json.dumps(ck.meta)
    assert all((ck.path / ck.meta[k]).is_file() for k in ("checkpoint", "curves"))
    assert sorted(os.listdir(ck.path)) == sorted([CHECKPOINT_FILE, CURVES_FILE])


def test_torso_pose_codes() -> None:
    from talkbench.geometry.so3 import euler_xyz, from_euler_xyz
    from talkbench.methods.nerf.hash_grid import HashGridConfig
    from talkbench.methods.nerf.torso import TorsoField, freq_encode

    angles = np.array([0.1, -0.2, 0.05])
    rot = torch.tensor(from_euler_xyz(angles), dtype=torch.float64)
    np.testing.assert_allclose(euler_xyz(rot).numpy(), angles, atol=1e-12)
    assert freq_encode(torch.zeros(5, 2), 3).shape == (5, 2 * 7)
    grid = HashGridConfig(input_dim=2, num_levels=2, level_dim=2, base_resolution=4, log2_hashmap_size=8, grid_type="tiled")
    poses = torch.eye(4).repeat(6, 1, 1)
    poses[:, 2, 3] = 0.8
    poses[:, 0, 3] = torch.linspace(-0.02, 0.02, 6)
    for mode in ("anchors", "euler"):
        torso = TorsoField(grid, pose_mode=mode, ind_num=6, ind_dim=3)
        torso.set_pose_statistics(poses)
        code = torso.pose_code(poses)
        assert code.shape == (6, 6) and torch.allclose(code.mean(0), torch.zeros(6), atol=1e-5)
        alpha, rgb, dx = torso(torch.zeros(4, 2), code[:1].expand(4, -1), torso.codes(torch.zeros(4, dtype=torch.long)))
        assert alpha.shape == (4, 1) and rgb.shape == (4, 3) and torch.all(dx == 0)  # the deformation starts at zero


def test_portrait_mode_blends_into_the_original_frames_and_needs_them(tiny_cards, tmp_path: Path) -> None:
    from talkbench.datasets.cards import load_dataset

    clip = load_dataset("synthetic-portrait", "smoke")
    method = _method("synctalk", portrait="on")
    assert "original_frames" in method.capabilities().inputs and method.capabilities().compositing == "portrait"
    assert "original_frames" not in _method("synctalk").capabilities().inputs
    ck = _train(method, clip, tmp_path / "w")
    test = clip.test()
    with pytest.raises(InputError, match="original frames"):
        method.render(ck, _drive(clip))
    drive = _drive(clip)
    drive.original_frames = test.frames
    video = method.render(ck, drive)
    assert np.array_equal(video.frames[:, :3, :3], test.frames[:, :3, :3])      # far from the face: the original
    assert not np.array_equal(video.frames, test.frames)                         # the face is the render's
