"""AUE / AUE-L / AUE-U (metrics/face/aue.py): AU sets, hand-computed values, failed-frame policies, and the metrics
end to end with a fake OpenFace FeatureExtraction (`tests.kit.openface`: no OpenFace needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import BenchError
from talkbench.core.metric import MetricContext
from talkbench.core.types import Video
from talkbench.metrics.face.aue import AU_LOWER, AU_R, AU_UPPER, AUE, AUEL, AUEU, AUEUnavailable, au_errors, check_policy
from talkbench.metrics.face.openface import AU_INTENSITY, ENV_VAR, INSTALL_URL, read_openface_csv
from tests.kit.openface import AU_PRESENCE, calls, col, expected_per_au, fake_openface, frames, fresh_openface_cache, table, write_csv  # noqa: F401 - fixtures


def test_au_sets_partition_the_17_intensity_aus() -> None:
    assert len(AU_R) == 17 and len(set(AU_R)) == 17
    assert set(AU_LOWER).isdisjoint(AU_UPPER)
    assert set(AU_LOWER) | set(AU_UPPER) == set(AU_R)
    assert "AU28" not in AU_R  # presence-only in OpenFace
    assert set(AU_R) == set(AU_PRESENCE) - {"AU28"}


def test_only_au12_differs_by_one(tmp_path: Path) -> None:
    base = np.random.default_rng(0).uniform(0, 5, (4, 17)).round(2)
    shifted = base.copy()
    shifted[:, col("AU12")] += 1.0
    ref = read_openface_csv(write_csv(tmp_path / "ref.csv", base))
    pred = read_openface_csv(write_csv(tmp_path / "pred.csv", shifted))
    e = au_errors(pred, ref)
    assert e.aue == pytest.approx(1.0) and e.aue_l == pytest.approx(1.0) and e.aue_u == 0.0
    np.testing.assert_allclose(e.per_frame, 1.0)
    assert e.per_au["AU12"] == pytest.approx(1.0) and sum(e.per_au.values()) == pytest.approx(1.0)
    assert e.frames == 4 and not e.truncated and e.failed_pred == e.failed_ref == 0


def test_mixed_halves_hand_computed() -> None:
    ref = np.zeros((2, 17))
    pred = np.zeros((2, 17))
    pred[0, col("AU01")] = 2.0  # upper: (4 + 0) / 2 = 2
    pred[:, col("AU25")] = 0.5  # lower: (0.25 + 0.25) / 2 = 0.25
    e = au_errors(table(pred), table(ref))
    assert (e.aue, e.aue_l, e.aue_u) == (2.25, 0.25, 2.0)
    np.testing.assert_array_equal(e.per_frame, [4.25, 0.25])
    np.testing.assert_array_equal(e.per_frame_u, [4.0, 0.0])
    np.testing.assert_array_equal(e.per_frame_l, [0.25, 0.25])


def test_identical_tables_score_zero() -> None:
    values = np.random.default_rng(1).uniform(0, 5, (7, 17))
    e = au_errors(table(values), table(values.copy()))
    assert (e.aue, e.aue_l, e.aue_u) == (0.0, 0.0, 0.0)
    assert not e.per_frame.any()


@pytest.mark.parametrize("seed", range(12))
def test_aue_is_the_sum_of_its_halves_and_matches_a_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tp, tr = int(rng.integers(1, 30)), int(rng.integers(1, 30))
    p = rng.uniform(0, 5, (tp, 17))
    r = rng.uniform(0, 5, (tr, 17))
    sp = (rng.random(tp) > 0.2).astype(int)
    sp[0] = 1
    sr = (rng.random(tr) > 0.2).astype(int)
    sr[0] = 1
    e = au_errors(table(p, sp.tolist()), table(r, sr.tolist()))
    assert e.aue == pytest.approx(e.aue_l + e.aue_u, rel=1e-12)
    assert np.mean(e.per_frame) == pytest.approx(e.aue, rel=1e-12)
    assert np.mean(e.per_frame_l) == pytest.approx(e.aue_l, rel=1e-12)
    n = min(tp, tr)
    by_loop = sum(sum((p[t, k] - r[t, k]) ** 2 for t in range(n)) / n for k in range(17))
    assert e.aue == pytest.approx(by_loop, rel=1e-12)


def test_truncates_to_the_shorter_table() -> None:
    rng = np.random.default_rng(2)
    r = rng.uniform(0, 5, (3, 17))
    p = np.vstack([r + 0.5, np.full((2, 17), 100.0)])  # the extra frames would dominate if they were scored
    e = au_errors(table(p), table(r))
    assert e.frames == 3 and e.frames_pred == 5 and e.frames_ref == 3 and e.truncated
    assert "pred: 5" in e.truncation_note and "ref: 3" in e.truncation_note
    assert e.aue == pytest.approx(17 * 0.25)
    assert e.details()["truncated"] is True and "truncation_note" in e.details()


def test_failed_frames_keep_and_drop() -> None:
    ref = np.zeros((4, 17))
    pred = np.zeros((4, 17))
    pred[:, col("AU12")] = [1, 3, 0, 1]   # frame 2: pred failed
    pred[:, col("AU45")] = [0, 0, 2, 0]   # frame 3: ref failed
    p, r = table(pred, [1, 0, 1, 1]), table(ref, [1, 1, 0, 1])
    keep = au_errors(p, r)
    assert (keep.aue_l, keep.aue_u, keep.aue) == (11 / 4, 1.0, 15 / 4)
    assert (keep.failed_pred, keep.failed_ref, keep.dropped, keep.frames) == (1, 1, 0, 4)
    drop = au_errors(p, r, policy="drop")
    assert (drop.aue, drop.aue_l, drop.aue_u) == (1.0, 1.0, 0.0)
    assert (drop.failed_pred, drop.failed_ref, drop.dropped, drop.frames) == (1, 1, 2, 2)
    assert drop.details()["failed_frames_policy"] == "drop"


def test_no_face_on_a_side_is_unavailable() -> None:
    values = np.ones((3, 17))
    with pytest.raises(AUEUnavailable, match="no face in any of the 3 compared frames of ref"):
        au_errors(table(values), table(values, [0, 0, 0]))
    with pytest.raises(AUEUnavailable, match="pred"):
        au_errors(table(values, [0, 0, 0]), table(values))
    with pytest.raises(AUEUnavailable, match="both sides"):
        au_errors(table(values, [1, 0, 1]), table(values, [0, 1, 0]), policy="drop")
    with pytest.raises(BenchError, match="aue_failed_frames"):
        check_policy("ignore")


@pytest.mark.slow
def test_metrics_end_to_end_with_a_fake_feature_extraction(fake_openface: Path, tmp_path: Path) -> None:
    p, r = frames(1), frames(2)
    pred, ref = Video(p, 25.0, source="pred.mp4"), Video(r, 25.0, source="ref.mp4")
    ctx = MetricContext(options={"openface_bin": str(fake_openface)})
    results = {cls.name: cls().compute(pred, ref, ctx) for cls in (AUE, AUEL, AUEU)}

    per_au = expected_per_au(p, r)
    lower = [AU_INTENSITY.index(a) for a in AU_LOWER]
    upper = [AU_INTENSITY.index(a) for a in AU_UPPER]
    assert per_au.sum() > 0.01  # the pair really differs
    assert results["aue"].value == pytest.approx(per_au.sum(), rel=1e-9)
    assert results["aue_l"].value == pytest.approx(per_au[lower].sum(), rel=1e-9)
    assert results["aue_u"].value == pytest.approx(per_au[upper].sum(), rel=1e-9)
    for res in results.values():
        assert res.available and res.per_item.shape == (6,)
        assert np.mean(res.per_item) == pytest.approx(res.value, rel=1e-12)
        d = res.details
        assert d["variant"] == "intensity _r (17 AUs)" and "OpenFace 2.2" in d["protocol"]
        assert d["openface_bin"] == str(fake_openface.resolve())
        assert d["openface_sha256"] == hashlib.sha256(fake_openface.read_bytes()).hexdigest()
        assert d["frames"] == 6 and d["truncated"] is False and d["failed_frames"] == {"pred": 0, "ref": 0}
        assert d["failed_frames_policy"] == "keep"
    assert results["aue_l"].details["aus"] == list(AU_LOWER)

    # one OpenFace pass per video, shared by the three metrics
    log = calls(tmp_path)
    assert len(log) == 2
    for entry, video in zip(log, (p, r)):
        argv = entry["argv"]
        assert argv[0] == str(fake_openface.resolve())
        assert argv[1::2][:3] == ["-fdir", "-out_dir", "-of"] and argv[6:] == ["aus", "-aus"]
        assert entry["images"] == [f"frame_{i:06d}.png" for i in range(1, 7)]
        # the PNGs hold exactly the frames (lossless, RGB order kept)
        assert entry["sha256"] == [hashlib.sha256(np.ascontiguousarray(f).tobytes()).hexdigest() for f in video]

    # the memo is keyed by content: equal frames in new arrays do not run OpenFace again
    again = AUE().compute(Video(p.copy(), 25.0, source="other.mp4"), Video(r.copy(), 25.0), ctx)
    assert again.value == results["aue"].value and len(calls(tmp_path)) == 2
    AUE().compute(Video(p[::-1].copy(), 25.0), Video(r, 25.0), ctx)
    assert len(calls(tmp_path)) == 3


def test_end_to_end_truncation_and_drop_policy(fake_openface: Path) -> None:
    p, r = frames(3, t=6), frames(4, t=4)
    p[1] = 0  # a black frame: the fake finds no face there
    ctx = MetricContext(options={"openface_bin": str(fake_openface), "aue_failed_frames": "drop"})
    res = AUE().compute(Video(p, 25.0, source="pred.mp4"), Video(r, 25.0, source="ref.mp4"), ctx)
    keep_frames = [0, 2, 3]
    assert res.value == pytest.approx(expected_per_au(p[keep_frames], r[keep_frames]).sum(), rel=1e-9)
    d = res.details
    assert d["truncated"] is True and "pred.mp4" in d["truncation_note"] and "ref.mp4" in d["truncation_note"]
    assert (d["frames_pred"], d["frames_ref"], d["frames"], d["dropped_frames"]) == (6, 4, 3, 1)
    assert d["failed_frames"] == {"pred": 1, "ref": 0} and d["failed_frames_policy"] == "drop"


def test_no_face_in_any_frame_is_unavailable_end_to_end(fake_openface: Path) -> None:
    ctx = MetricContext(options={"openface_bin": str(fake_openface)})
    black = np.zeros((3, 20, 24, 3), np.uint8)
    res = AUEL().compute(Video(frames(5, t=3), 25.0, source="pred.mp4"), Video(black, 25.0, source="ref.mp4"), ctx)
    assert not res.available and res.value is None
    assert "no face" in res.unavailable_reason and "ref.mp4" in res.unavailable_reason
    assert res.details["failed_frames"] == {"pred": 0, "ref": 3}


@pytest.mark.parametrize("how", ["option", "path"])
def test_missing_binary_is_unavailable_with_instructions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(ENV_VAR, raising=False)
    options = {"openface_bin": str(tmp_path / "nowhere" / "FeatureExtraction")} if how == "option" else {}
    video = Video(frames(7, t=2), 25.0, source="x.mp4")
    for cls in (AUE, AUEL, AUEU):
        res = cls().compute(video, video, MetricContext(options=options))
        assert not res.available and res.value is None
        reason = res.unavailable_reason
        assert "OpenFace 2.2 FeatureExtraction not found" in reason and "--openface-bin" in reason
        assert INSTALL_URL in reason and "PATH" in reason and "\n" not in reason
        assert res.details["variant"] == "intensity _r (17 AUs)"
