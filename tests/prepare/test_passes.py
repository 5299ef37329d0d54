"""The passes that live outside the default set: SyncTalk's Head-Sync Stabilizer (a pass registered by SyncTalk
through the `talkbench.passes` entry points) and the 3DMM head-pose fit (`--head-pose 3dmm`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from talkbench.face3d.morphable_model import save_morphable_model
from talkbench.face3d.template import TEMPLATE_68
from tests.kit.face3d import synthetic_model

REPO = Path(__file__).resolve().parents[2]


def _synthetic(seconds: float, size: int):
    from talkbench.datasets import synthetic

    card = tomllib.loads((REPO / "datasets" / "synthetic-portrait.toml").read_text())
    card["generator"]["seconds"] = seconds
    return synthetic.generate_portrait(card, size)


# ----------------------------------------------------------------------------- the Head-Sync Stabilizer (SyncTalk)


def test_stabilizer_is_synctalks_pass_found_through_the_entry_points() -> None:
    from talkbench.methods.synctalk.stabilizer import StabilizerPass
    from talkbench.prepare.pipeline import PASSES, provider
    from talkbench.prepare.preprocess import PreprocessOptions

    assert PASSES.get("head_stabilizer") is StabilizerPass
    assert provider("head_pose_stabilized", PreprocessOptions()) is StabilizerPass
    assert StabilizerPass.requires == {"head_pose", "landmarks", "intrinsics"}


@pytest.mark.slow
def test_prepare_adds_stabilized_poses_and_the_methods_use_them() -> None:
    from talkbench.prepare.preprocess import PreprocessOptions, preprocess
    from talkbench.core.registries import METHODS

    clip = _synthetic(1.2, 96)
    out = preprocess(clip.frames, "portrait.mp4", PreprocessOptions(head_stabilizer=True, stabilizer_iters=100))
    rough, stable = out.annotations["head_pose"], out.annotations["head_pose_stabilized"]
    assert stable.shape == rough.shape and not np.array_equal(stable, rough)
    assert np.abs(stable[:, :3, 3] - rough[:, :3, 3]).max() < 0.05          # a refinement, not a different scene
    assert out.meta["head_pose_stabilized"]["points"] >= 6
    assert out.passes.index("head_stabilizer") == out.passes.index("head_pose_template") + 1  # today's order

    both = {"head_pose": rough, "head_pose_stabilized": stable}
    synctalk = METHODS.get("synctalk")
    assert synctalk(synctalk.config_for("smoke")).capabilities().pose_annotation(both) == "head_pose_stabilized"
    assert synctalk(synctalk.config_for("smoke")).capabilities().pose_annotation({"head_pose": rough}) == "head_pose"
    assert synctalk(synctalk.config_for("smoke", {"head_stabilizer": "off"})).capabilities().pose_annotation(both) == "head_pose"
    assert METHODS.get("er-nerf")(None).capabilities().pose_annotation(both) == "head_pose"


# ----------------------------------------------------------------------------- the 3DMM head-pose fit


@pytest.mark.slow
def test_prepare_with_a_morphable_model(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.cli.main import main
    from talkbench.datasets.cards import load_dataset
    from talkbench.io.video import write_video

    clip = _synthetic(1.8, 128)  # 45 frames: the shortest clip prepare accepts
    video = tmp_path / "portrait.mp4"
    write_video(video, clip.frames, clip.fps, clip.audio)
    code = main(["data", "prepare", "--card", "may", "--video", str(video), "--head-pose", "3dmm"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0 and "bench weights install bfm2009_3dmm" in err and "faces.dmi.unibas.ch" in err
    model = save_morphable_model(synthetic_model(), tmp_path / "model.npz")
    assert main(["data", "prepare", "--card", "may", "--video", str(video), "--morphable-model", str(model),
                 "--focal", str(clip.meta["intrinsics"]["fx"])]) == 0  # the focal given: the search is tested above
    prepared = load_dataset("may", "smoke")
    assert prepared.annotations["exp_coeffs"].shape == (clip.num_frames, 4)
    assert prepared.annotations["head_pose"].shape == (clip.num_frames, 4, 4)
    meta = prepared.meta["head_pose"]
    assert meta["fit"] == "talkbench.face3d.tracker.track_face" and meta["model"]["name"] == "synthetic-test"
    assert len(meta["id_coeffs"]) == 5 and meta["rmse_px_mean"] < 2.0
    assert "synthetic-test" in prepared.meta["head_pose_convention"]
    assert prepared.meta["preprocess"]["options"]["head_pose"] == "3dmm"
    assert "head_pose_3dmm" in prepared.meta["preprocess"]["seconds"] and "head_pose_template" not in prepared.meta["preprocess"]["seconds"]
