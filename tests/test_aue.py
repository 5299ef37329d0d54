"""AUE / AUE-L / AUE-U: OpenFace CSV parsing, hand-computed values, policies, and the runner with a fake FeatureExtraction.

No OpenFace is needed: CSVs are written in OpenFace's layout here, and the end-to-end tests run a
small Python script that takes FeatureExtraction's flags and writes AU values that are a known
function of each image's brightness.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import BenchError, InputError
from talkbench.core.metric import MetricContext
from talkbench.core.types import Video
from talkbench.metrics.face import openface
from talkbench.metrics.face.aue import (
    AU_LOWER,
    AU_R,
    AU_UPPER,
    AUE,
    AUEL,
    AUEU,
    AUEUnavailable,
    au_errors,
    check_policy,
)
from talkbench.metrics.face.openface import (
    AU_INTENSITY,
    ENV_VAR,
    INSTALL_URL,
    AUTable,
    OpenFaceFailed,
    OpenFaceMissing,
    find_openface,
    read_openface_csv,
)

AU_PRESENCE = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
               "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45")
"""OpenFace 2.2's `_c` columns: the 17 intensity AUs plus AU28."""


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    openface.clear_cache()


# ----------------------------------------------------------------------------- CSV fixtures


def header(spaced: bool = True) -> list[str]:
    """OpenFace's -aus CSV columns (FeatureExtraction, sequence mode), with a leading space when `spaced`."""
    cols = ["frame", "face_id", "timestamp", "confidence", "success",
            *(f"{au}_r" for au in AU_INTENSITY), *(f"{au}_c" for au in AU_PRESENCE)]
    return [c if i == 0 or not spaced else f" {c}" for i, c in enumerate(cols)]


def write_csv(path: Path, intensity: np.ndarray, success: list[int] | None = None, confidence: list[float] | None = None,
              face_id: list[int] | None = None, frame: list[int] | None = None, spaced: bool = True) -> Path:
    """A FeatureExtraction-style CSV: one row per entry of `intensity` [T, 17] (columns in AU_INTENSITY order)."""
    t = len(intensity)
    success = success if success is not None else [1] * t
    confidence = confidence if confidence is not None else [0.98] * t
    face_id = face_id if face_id is not None else [0] * t
    frame = frame if frame is not None else list(range(1, t + 1))
    lines = [",".join(header(spaced))]
    for i in range(t):
        presence = [1.0 if v > 1 else 0.0 for v in intensity[i]] + [0.0]  # AU28_c has no intensity
        values = [frame[i], face_id[i], f"{0.04 * i:.3f}", f"{confidence[i]:.2f}", success[i],
                  *(repr(float(v)) for v in intensity[i]), *(f"{v:.1f}" for v in presence)]
        lines.append(", ".join(str(v) for v in values))  # OpenFace's post-processing writes ", "
    path.write_text("\n".join(lines) + "\n")
    return path


def table(intensity: np.ndarray, success: list[int] | None = None) -> AUTable:
    """An AUTable built directly (for tests of the arithmetic)."""
    t = len(intensity)
    ok = np.ones(t, bool) if success is None else np.asarray(success) != 0
    return AUTable(frame=np.arange(1, t + 1), success=ok, confidence=np.full(t, 0.9),
                   intensity=np.asarray(intensity, dtype=np.float64))


def col(au: str) -> int:
    return AU_INTENSITY.index(au)


# ----------------------------------------------------------------------------- AU sets


def test_au_sets_partition_the_17_intensity_aus() -> None:
    assert len(AU_R) == 17 and len(set(AU_R)) == 17
    assert set(AU_LOWER).isdisjoint(AU_UPPER)
    assert set(AU_LOWER) | set(AU_UPPER) == set(AU_R)
    assert "AU28" not in AU_R  # presence-only in OpenFace
    assert set(AU_R) == set(AU_PRESENCE) - {"AU28"}


# ----------------------------------------------------------------------------- CSV parsing


@pytest.mark.parametrize("spaced", [True, False])
def test_read_openface_csv_layout(tmp_path: Path, spaced: bool) -> None:
    values = np.arange(3 * 17, dtype=np.float64).reshape(3, 17) / 10
    path = write_csv(tmp_path / "aus.csv", values, success=[1, 0, 1], confidence=[0.98, 0.03, 0.9], spaced=spaced)
    first_line = path.read_text().splitlines()[0]
    assert (" AU01_r" in first_line.split(",")) is spaced
    t = read_openface_csv(path)
    assert t.aus == AU_INTENSITY and t.source == str(path)
    assert t.frame.tolist() == [1, 2, 3]
    assert t.success.tolist() == [True, False, True] and t.num_failed == 1
    np.testing.assert_allclose(t.confidence, [0.98, 0.03, 0.9])
    np.testing.assert_array_equal(t.intensity, values)
    np.testing.assert_array_equal(t.columns(["AU12", "AU01"]), values[:, [col("AU12"), col("AU01")]])


def test_read_maps_columns_by_name_not_position(tmp_path: Path) -> None:
    values = np.arange(2 * 17, dtype=np.float64).reshape(2, 17)
    src = write_csv(tmp_path / "a.csv", values).read_text().splitlines()
    rows = [[c for c in line.split(",")] for line in src]
    order = list(range(len(rows[0])))[::-1]  # reverse every column
    (tmp_path / "b.csv").write_text("\n".join(",".join(r[i] for i in order) for r in rows) + "\n")
    np.testing.assert_array_equal(read_openface_csv(tmp_path / "b.csv").intensity, values)


def test_read_keeps_the_most_confident_face_of_each_frame(tmp_path: Path) -> None:
    values = np.zeros((5, 17))
    values[:, col("AU12")] = [10, 11, 20, 21, 22]  # marks which row was kept
    path = write_csv(tmp_path / "multi.csv", values, frame=[2, 1, 2, 1, 2], face_id=[0, 0, 1, 1, 2],
                     confidence=[0.8, 0.5, 0.8, 0.9, 0.7])
    t = read_openface_csv(path)
    assert t.frame.tolist() == [1, 2]
    # frame 1: face 1 (0.9) beats face 0 (0.5); frame 2: faces 0 and 1 tie at 0.8, the first row wins
    assert t.columns(["AU12"])[:, 0].tolist() == [21, 10]
    assert t.extra_face_rows == 3


def test_read_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.csv: no such"):
        read_openface_csv(tmp_path / "nope.csv")
    no_aus = tmp_path / "no_aus.csv"
    no_aus.write_text("frame, face_id, timestamp, confidence, success, x_0\n1, 0, 0.000, 0.98, 1, 3.5\n")
    with pytest.raises(InputError, match=r"no_aus.csv: .*AU01_r.*-aus"):
        read_openface_csv(no_aus)
    bad = write_csv(tmp_path / "bad.csv", np.zeros((2, 17)))
    bad.write_text(bad.read_text().replace(", 0.0, 0.0", ", oops, 0.0", 1))
    with pytest.raises(InputError, match="bad.csv: non-numeric"):
        read_openface_csv(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.csv"):
        read_openface_csv(empty)


# ----------------------------------------------------------------------------- hand-computed values


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


# ----------------------------------------------------------------------------- fake FeatureExtraction


def fake_au(brightness: float) -> list[float]:
    """The fake binary's AU intensities of an image with mean brightness in [0, 1] (AU_INTENSITY order)."""
    return [(k + 1) * brightness ** (1 + k / 8) for k in range(17)]


FACE_THRESHOLD = 0.02
"""The fake binary finds "no face" in images darker than this."""

FAKE_SCRIPT = '''#!{python}
"""Stand-in for OpenFace FeatureExtraction: -fdir DIR -out_dir DIR -of NAME -aus."""
import hashlib, json, os, sys
from pathlib import Path
import cv2

AUS = {aus!r}
PRESENCE = {presence!r}
args = sys.argv[1:]
value = lambda flag: args[args.index(flag) + 1]
fdir, out_dir, name = Path(value("-fdir")), Path(value("-out_dir")), value("-of")
images = sorted(p for p in fdir.iterdir() if p.suffix.lower() in {{".png", ".jpg", ".jpeg", ".bmp"}})
head = ["frame", "face_id", "timestamp", "confidence", "success"]
head += [a + "_r" for a in AUS] + [a + "_c" for a in PRESENCE]
lines, digests = [", ".join(head)], []
for i, path in enumerate(images, 1):
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    digests.append(hashlib.sha256(img[..., ::-1].tobytes()).hexdigest())
    b = float(img.astype("float64").mean()) / 255.0
    ok = int(b > {threshold})
    r = [(k + 1) * b ** (1 + k / 8) for k in range(len(AUS))]
    lines.append(", ".join([str(i), "0", "0.000", "0.98" if ok else "0.00", str(ok)]
                           + [repr(v) for v in r] + ["0.0"] * len(PRESENCE)))
if os.environ.get("FAKE_OPENFACE_DROP_LAST"):
    lines = lines[:-1]
(out_dir / (name + ".csv")).write_text("\\n".join(lines) + "\\n")
with open(os.environ["FAKE_OPENFACE_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv, "images": [p.name for p in images], "sha256": digests}}) + "\\n")
'''


def make_executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def fake_openface(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable fake FeatureExtraction in tmp_path/bin; its calls are logged as JSON lines to tmp_path/calls.log."""
    monkeypatch.setenv("FAKE_OPENFACE_LOG", str(tmp_path / "calls.log"))
    monkeypatch.delenv("FAKE_OPENFACE_DROP_LAST", raising=False)
    text = FAKE_SCRIPT.format(python=sys.executable, aus=AU_INTENSITY, presence=AU_PRESENCE, threshold=FACE_THRESHOLD)
    return make_executable(tmp_path / "bin" / "FeatureExtraction", text)


def calls(tmp_path: Path) -> list[dict]:
    log = tmp_path / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def frames(seed: int, t: int = 6, h: int = 20, w: int = 24) -> np.ndarray:
    return np.random.default_rng(seed).integers(8, 256, (t, h, w, 3), dtype=np.uint8)


def expected_per_au(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    n = min(len(pred), len(ref))
    fp = np.array([fake_au(b) for b in pred[:n].astype(np.float64).mean(axis=(1, 2, 3)) / 255.0])
    fr = np.array([fake_au(b) for b in ref[:n].astype(np.float64).mean(axis=(1, 2, 3)) / 255.0])
    return ((fp - fr) ** 2).mean(axis=0)


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


def test_row_count_mismatch_is_an_error(fake_openface: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OPENFACE_DROP_LAST", "1")
    with pytest.raises(OpenFaceFailed, match="wrote 3 AU rows for the 4 frames"):
        openface.run_openface(frames(6, t=4), fake_openface.resolve(), "clip.mp4")


# ----------------------------------------------------------------------------- finding and failing binaries


def test_find_openface_precedence(fake_openface: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = make_executable(tmp_path / "path_dir" / "FeatureExtraction", fake_openface.read_text())
    by_env = make_executable(tmp_path / "env_dir" / "FeatureExtraction", fake_openface.read_text())
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert find_openface({}) == on_path.resolve()
    monkeypatch.setenv(ENV_VAR, str(by_env))
    assert find_openface({}) == by_env.resolve()
    assert find_openface({"openface_bin": str(fake_openface)}) == fake_openface.resolve()
    assert find_openface({"openface_bin": str(fake_openface.parent)}) == fake_openface.resolve()  # a bin/ directory
    # an explicit path that does not exist is an error, not a reason to fall back to PATH
    with pytest.raises(OpenFaceMissing, match="--openface-bin"):
        find_openface({"openface_bin": str(tmp_path / "missing" / "FeatureExtraction")})


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


def test_failing_binary_raises_one_line_naming_it(tmp_path: Path) -> None:
    script = (f"#!{sys.executable}\nimport sys\nprint('Loading the model')\n"
              "sys.stderr.write('ERROR: Could not load the landmark detector\\n')\nsys.exit(1)\n")
    broken = make_executable(tmp_path / "broken" / "FeatureExtraction", script)
    video = Video(frames(8, t=2), 25.0, source="x.mp4")
    with pytest.raises(OpenFaceFailed) as info:
        AUE().compute(video, video, MetricContext(options={"openface_bin": str(broken)}))
    msg = str(info.value)
    assert isinstance(info.value, BenchError) and "\n" not in msg
    assert str(broken.resolve()) in msg and "code 1" in msg and "Could not load the landmark detector" in msg


def test_binary_that_writes_no_csv_reports_its_stdout(tmp_path: Path) -> None:
    # FeatureExtraction exits 0 and prints to stdout when it cannot open its input
    script = f"#!{sys.executable}\nprint('Provided directory does not exist: /x')\n"
    silent = make_executable(tmp_path / "silent" / "FeatureExtraction", script)
    with pytest.raises(OpenFaceFailed, match="wrote no AU CSV.*Provided directory does not exist"):
        openface.run_openface(frames(9, t=2), silent.resolve(), "clip.mp4")


def test_binary_that_writes_a_bad_csv_fails_as_the_binary(tmp_path: Path) -> None:
    script = (f"#!{sys.executable}\nimport sys\nout = sys.argv[sys.argv.index('-out_dir') + 1]\n"
              "open(out + '/aus.csv', 'w').write('frame, success\\n1, 1\\n')\n")
    wrong = make_executable(tmp_path / "wrong" / "FeatureExtraction", script)
    with pytest.raises(OpenFaceFailed, match="unreadable AU CSV.*AU01_r"):
        openface.run_openface(frames(10, t=1), wrong.resolve(), "clip.mp4")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_non_executable_file_is_not_a_binary(tmp_path: Path) -> None:
    plain = tmp_path / "FeatureExtraction"
    plain.write_text("not a program")
    with pytest.raises(OpenFaceMissing, match="no such executable"):
        find_openface({"openface_bin": str(plain)})
