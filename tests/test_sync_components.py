"""SyncTalk / WildTalker building blocks: temporal mask, head stabilizer, expression features, neck fill,
torso-region PSNR, the lipsync task's driving audio and runs, claims shown beside their datasets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.metric import MetricContext

from talkbench.core.types import Video


# ----------------------------------------------------------------------------- temporal mask (WildTalker Eq. 4)


def _moving_square(frames: int = 30, size: int = 64, stop: int = 15) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    background = (rng.random((size, size, 3)) * 255).astype(np.uint8)
    background = np.repeat(np.repeat(background[::4, ::4], 4, 0), 4, 1)  # blocky texture DIS can follow
    video = np.repeat(background[None], frames, 0).copy()
    where = np.zeros((frames, size, size), bool)
    for i in range(stop):
        x = 4 + 2 * i
        video[i, 20:36, x:x + 12] = [230, 180, 150]
        where[i, 20:36, x:x + 12] = True
    return video, where


def test_temporal_mask_covers_the_moving_object_then_fades() -> None:
    from talkbench.methods.wildtalker.temporal_mask import TemporalMaskSettings, flow_magnitudes, temporal_mask

    video, where = _moving_square()
    mags = flow_magnitudes(video, progress=False)
    masks, decays = temporal_mask(mags, video.shape[2], TemporalMaskSettings(threshold=0.01))
    moving = where[1:15]
    assert masks[1:15][moving].mean() > 0.5            # the square is masked while it moves
    assert masks[1:15][~moving].mean() < 0.15           # most of the still background is not
    assert masks[29].max() < masks[15].max()            # after it is gone the mask decays ...
    assert decays[20] == pytest.approx(TemporalMaskSettings().decay_min)  # ... at the calm rate
    assert decays[5] > decays[20]


def test_temporal_mask_accumulates_with_decay_exactly() -> None:
    from talkbench.methods.wildtalker.temporal_mask import TemporalMaskSettings, temporal_mask

    mags = np.zeros((4, 8, 8), np.float32)
    mags[1, 2, 2] = 10.0
    s = TemporalMaskSettings(threshold=0.1, decay_min=0.5, decay_max=0.9, area_ref=1.0, dilate=0.0)
    masks, decays = temporal_mask(mags, 8, s)
    assert masks[1, 2, 2] == 1.0
    assert masks[2, 2, 2] == pytest.approx(0.5) and masks[3, 2, 2] == pytest.approx(0.25)  # M_i = M_{i-1} * δ_min
    keep = np.ones((4, 8, 8), bool)
    assert temporal_mask(mags, 8, s, keep=keep)[0].max() == 0.0  # kept pixels (the head) are never masked
    with pytest.raises(ValueError):
        temporal_mask(mags, 8, TemporalMaskSettings(decay_min=0.9, decay_max=0.5))


def test_temporal_mask_down_weights_the_hand_on_the_wild_portrait(tiny_cards: Path) -> None:
    from talkbench.datasets.cards import load_dataset
    from talkbench.methods.wildtalker.temporal_mask import loss_weights

    clip = load_dataset("synthetic-portrait-wild", "smoke").train()
    weights, stats = loss_weights(clip.frames, clip.annotations["head_mask"])
    hand = clip.annotations["occluder_mask"].astype(bool)
    torso = clip.annotations["torso_mask"].astype(bool) & ~hand
    assert hand.any()
    assert weights[hand].mean() < 0.75 * weights[torso].mean(), stats
    assert weights[clip.annotations["head_mask"].astype(bool)].min() == 1.0


# ----------------------------------------------------------------------------- head stabilizer (SyncTalk Eq. 7-8)


def _scene(frames: int = 40, points: int = 60, noise_deg: float = 1.0, seed: int = 0):
    from scipy.spatial.transform import Rotation as R

    rng = np.random.default_rng(seed)
    pts = rng.normal(0, 0.04, (points, 3))
    yaw = np.deg2rad(8 * np.sin(np.linspace(0, 3, frames)))
    truth = np.tile(np.eye(4), (frames, 1, 1))
    truth[:, :3, :3] = R.from_euler("y", yaw[:, None]).as_matrix()
    truth[:, :3, 3] = [0.0, 0.0, 0.6]
    k = {"fx": 500.0, "fy": 500.0, "cx": 128.0, "cy": 128.0}
    cam = np.einsum("tij,nj->tni", truth[:, :3, :3], pts) + truth[:, None, :3, 3]
    tracks = np.stack([500 * cam[..., 0] / cam[..., 2] + 128, 500 * cam[..., 1] / cam[..., 2] + 128], -1)
    noisy = truth.copy()
    noisy[:, :3, :3] = (R.from_rotvec(rng.normal(0, np.deg2rad(noise_deg), (frames, 3))) * R.from_matrix(truth[:, :3, :3])).as_matrix()
    return truth, noisy, tracks, k


def test_bundle_adjustment_removes_pose_jitter() -> None:
    from scipy.spatial.transform import Rotation as R

    from talkbench.methods.synctalk.stabilizer import StabilizerSettings, bundle_adjust

    truth, noisy, tracks, k = _scene()
    refined, stats = bundle_adjust(tracks, noisy, k, StabilizerSettings(points_iters=200, joint_iters=400, joint_lr=3e-3),
                                   progress=False)

    def jitter(p: np.ndarray) -> float:
        return float(np.rad2deg((R.from_matrix(p[1:, :3, :3]) * R.from_matrix(p[:-1, :3, :3]).inv()).magnitude()).mean())

    assert jitter(refined) < 0.5 * jitter(noisy), (jitter(truth), jitter(noisy), jitter(refined))
    assert stats["rmse_px_joint_stage"] < stats["rmse_px_points_stage"]


def test_steady_point_selection_prefers_smooth_tracks() -> None:
    from talkbench.methods.synctalk.stabilizer import select_steady_points

    t, n = 20, 50
    start = np.stack(np.meshgrid(np.arange(5, 55, 10), np.arange(5, 55, 5)), -1).reshape(-1, 2)[:n].astype(np.float32)
    tracks = np.repeat(start[None], t, 0) + np.linspace(0, 3, t)[:, None, None]
    shaky = np.arange(n) % 2 == 0
    tracks[:, shaky] += np.random.default_rng(1).normal(0, 2.0, (t, shaky.sum(), 2))
    chosen = select_steady_points(tracks, start, 64, 64)
    assert len(chosen) > 0 and not shaky[chosen].any()


def test_stabilizer_refines_noisy_poses_of_the_synthetic_portrait(tiny_cards: Path) -> None:
    from scipy.spatial.transform import Rotation as R

    from talkbench.datasets.cards import load_dataset
    from talkbench.datasets.clip_meta import clip_intrinsics
    from talkbench.methods.synctalk.stabilizer import StabilizerSettings, stabilize_poses

    clip = load_dataset("synthetic-portrait", "smoke").train()
    truth = clip.annotations["head_pose"]
    rng = np.random.default_rng(0)
    noisy = truth.copy()
    noisy[:, :3, :3] = (R.from_rotvec(rng.normal(0, np.deg2rad(1.0), (len(truth), 3))) * R.from_matrix(truth[:, :3, :3])).as_matrix()
    refined, info = stabilize_poses(clip.frames, clip.annotations["landmarks"], noisy, clip_intrinsics(clip),
                                    StabilizerSettings(points_iters=300, joint_iters=300, joint_lr=3e-3), progress=False)

    def jitter(p: np.ndarray) -> float:
        return float(np.rad2deg((R.from_matrix(p[1:, :3, :3]) * R.from_matrix(p[:-1, :3, :3]).inv()).magnitude()).mean())

    assert info["points"] >= 6
    assert jitter(refined) < 0.8 * jitter(noisy), (jitter(truth), jitter(noisy), jitter(refined), info)


# ----------------------------------------------------------------------------- expression features (SyncTalk)


def _face(brow_lift: float = 0.0, eye_open: float = 1.0) -> np.ndarray:
    from talkbench.face3d.template import TEMPLATE_68

    lm = TEMPLATE_68[:, :2].astype(np.float64) * 1000 + 200  # frontal template in px
    lm[17:27, 1] -= brow_lift
    for eye in (slice(36, 42), slice(42, 48)):
        centre = lm[eye, 1].mean()
        lm[eye, 1] = centre + (lm[eye, 1] - centre) * eye_open
    return lm


def test_landmark_expression_responds_to_brows_and_blinks() -> None:
    from talkbench.methods.synctalk.expression import BLENDSHAPE_NAMES, landmark_expression

    frames = np.stack([_face(), _face(brow_lift=6.0), _face(), _face(eye_open=0.1), _face(), _face(), _face()])
    feats = landmark_expression(frames)
    assert feats.shape == (7, len(BLENDSHAPE_NAMES))
    inner, blink_l = BLENDSHAPE_NAMES.index("browInnerUp"), BLENDSHAPE_NAMES.index("eyeBlinkLeft")
    assert np.argmax(feats[:, inner]) == 1        # brows raised in frame 1
    assert np.argmax(feats[:, blink_l]) == 3      # eyes closed in frame 3
    with pytest.raises(ValueError):
        landmark_expression(np.zeros((3, 10, 2)))


def test_upper_face_features_fall_back_to_landmarks_without_the_model(bench_home: Path) -> None:
    from talkbench.methods.synctalk.expression import upper_face_features

    lm = np.stack([_face()] * 6)
    feats, source = upper_face_features(np.zeros((6, 8, 8, 3), np.uint8), {"landmarks": lm})
    assert feats.shape == (6, 7) and "face_landmarker.task not installed" in source and "fallback" in source


# ----------------------------------------------------------------------------- portrait-sync generator


def test_neck_fill_colours_only_the_gap_between_chin_and_torso() -> None:
    from talkbench.methods.synctalk.portrait import fill_neck_gap

    image = np.zeros((40, 40, 3), np.float32)
    head = np.zeros((40, 40), np.float32)
    head[5:20, 10:30] = 1.0
    torso = np.zeros((40, 40), np.float32)
    torso[28:, :] = 1.0
    out = fill_neck_gap(image, head, torso, np.array([0.8, 0.5, 0.4], np.float32))
    assert np.allclose(out[24, 15], [0.8, 0.5, 0.4])          # in the gap, under the chin
    assert np.allclose(out[24, 2], 0) and np.allclose(out[10, 15], 0) and np.allclose(out[35, 15], 0)


# ----------------------------------------------------------------------------- torso-region PSNR


def test_torso_psnr_scores_only_the_region() -> None:
    from talkbench.metrics.image.region_psnr import TorsoPSNR

    ref = np.full((3, 16, 16, 3), 100, np.uint8)
    pred = ref.copy()
    pred[:, :8] = 110      # error only in the top half
    masks = np.zeros((3, 16, 16), np.uint8)
    masks[:, 8:] = 1       # region = bottom half: perfect there
    res = TorsoPSNR().compute(Video(pred, 25.0), Video(ref, 25.0), MetricContext(annotations={"torso_mask": masks}))
    assert np.isinf(res.value)
    masks[:, :8] = 1
    res = TorsoPSNR().compute(Video(pred, 25.0), Video(ref, 25.0), MetricContext(annotations={"torso_mask": masks}))
    assert res.value == pytest.approx(-10 * np.log10(0.5 * (10 / 255) ** 2))
    missing = TorsoPSNR().compute(Video(pred, 25.0), Video(ref, 25.0), MetricContext())
    assert missing.value is None and "torso_mask" in missing.unavailable_reason


# ----------------------------------------------------------------------------- lipsync task


def test_corrupted_driving_audio_has_the_stated_snr(tiny_cards: Path) -> None:
    from talkbench.datasets.cards import get_card, load_dataset
    from talkbench.datasets.driving_audio import condition_audio

    test = load_dataset("synthetic-portrait", "smoke").test()
    original, how = condition_audio(test, "original", get_card("synthetic-portrait").data)
    noisy, how_c = condition_audio(test, "corrupted", get_card("synthetic-portrait").data)
    assert np.array_equal(original, test.audio) and noisy.shape == original.shape
    snr = 10 * np.log10(np.mean(original.astype(np.float64) ** 2) / np.mean((noisy - original).astype(np.float64) ** 2))
    assert abs(snr - how_c["corruption"]["snr_db"]) < 1.5
    wild = load_dataset("synthetic-portrait-wild", "smoke").test()
    clean, _ = condition_audio(wild, "original", get_card("synthetic-portrait-wild").data)
    assert np.array_equal(clean, wild.audio_tracks["clean"])
    assert np.array_equal(condition_audio(wild, "corrupted", {})[0], wild.audio)
    with pytest.raises(ValueError):
        condition_audio(test, "reversed", {})


def test_lipsync_task_scores_both_conditions(tiny_cards: Path) -> None:
    from talkbench.harness.driver import run_jobs
    from talkbench.harness.jobs import JobSpec
    from talkbench.harness.store import Store

    store = Store()
    [outcome] = run_jobs([JobSpec(method="retrieval", dataset="synthetic-portrait", task="lipsync")], store)
    assert outcome.status == "complete", outcome.message
    rows = store.results(run_id=outcome.run_id)
    assert {r.condition for r in rows} == {"original", "corrupted"}
    assert {r.metric for r in rows} == {"lmd", "aue", "lse_c", "lse_d"}
    lmd = {r.condition: r.value for r in rows if r.metric == "lmd"}
    assert lmd["original"] is not None and lmd["corrupted"] is not None and lmd["original"] != lmd["corrupted"]
    stored = json.loads((outcome.run_dir / "metrics.json").read_text())
    assert set(stored["conditions"]) == {"original", "corrupted"}
    assert (outcome.run_dir / "render-corrupted.mp4").is_file() and (outcome.run_dir / "frames-original.png").is_file()
    header = (outcome.run_dir / "per_frame.csv").read_text().splitlines()[0]
    assert "original:lmd" in header and "corrupted:lmd" in header
    # a rerun reuses both renders and every stored value
    [again] = run_jobs([JobSpec(method="retrieval", dataset="synthetic-portrait", task="lipsync")], store)
    prov = json.loads((again.run_dir / "provenance.json").read_text())
    assert prov["cached_stages"]["render:original"] and prov["cached_stages"]["render:corrupted"]


def test_claims_are_shown_only_beside_their_datasets(tiny_cards: Path) -> None:
    from talkbench.report.claims import load_claims

    claims = {c.path.name: c for c in load_claims()}
    assert claims["wildtalker-table1.json"].measured_on == ["synthetic-portrait-wild"]
    assert {c.condition for c in load_claims("lipsync")} >= {"original", "corrupted"}
    for claim in claims.values():
        for row in claim.rows:
            assert set(row["values"]) <= set(claim.metrics), (claim.path, row)


def test_switch_values_are_checked() -> None:
    from talkbench.core.errors import BenchError
    from talkbench.methods.er_nerf.config import ERNeRFConfig

    assert ERNeRFConfig().updated({"audio.attention": "off"}).audio.attention is False
    with pytest.raises(BenchError):
        ERNeRFConfig().updated({"audio.attention": "of"})


def test_mss_with_the_recordings_noise_subtracts_it_from_any_drive() -> None:
    from talkbench.methods.enhance.mss import MSS, MSSConfig
    from talkbench.methods.wildtalker.config import WildTalkerConfig
    from talkbench.methods.wildtalker.model import WildTalkerModel

    rng = np.random.default_rng(0)
    sr = 16000
    t = np.arange(2 * sr) / sr
    noise = (0.02 * rng.standard_normal(len(t))).astype(np.float32)
    training = np.concatenate([noise[:sr // 2], (0.3 * np.sin(2 * np.pi * 220 * t[:sr]) + noise[:sr]).astype(np.float32)])
    model = WildTalkerModel(WildTalkerConfig(mss=True, mss_noise_from="training"))
    sample = model.noise_reference(training, sr)
    assert sample is not None and len(sample) == sr // 4 and np.sqrt(np.mean(sample ** 2)) < 0.03   # the quiet part
    drive = (0.3 * np.sin(2 * np.pi * 220 * t[:sr]) + noise[sr:]).astype(np.float32)               # all speech
    out = model.audio_frontend(drive, sr, sample)
    joined = MSS(MSSConfig(noise_from="leading")).enhance(np.concatenate([sample, drive]), sr)[len(sample):]
    assert out.shape == drive.shape and np.allclose(out, joined)
    own = WildTalkerModel(WildTalkerConfig(mss_noise_from="leading")).audio_frontend(drive, sr)  # the drive's own "noise" is speech
    clean = 0.3 * np.sin(2 * np.pi * 220 * t[:sr])
    assert np.mean((out - clean) ** 2) < 0.5 * np.mean((own - clean) ** 2)
    assert np.array_equal(WildTalkerModel(WildTalkerConfig(mss=False)).audio_frontend(drive, sr), drive)
    with pytest.raises(ValueError):
        model.audio_frontend(drive, sr, None)
