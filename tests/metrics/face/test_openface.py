"""The OpenFace wrapper (metrics/face/openface.py): reading FeatureExtraction's AU CSV, finding the binary, and
failing binaries, with CSVs in OpenFace's layout and fake binaries from `tests.kit.openface`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import BenchError, InputError
from talkbench.core.metric import MetricContext
from talkbench.core.types import Video
from talkbench.metrics.face import openface
from talkbench.metrics.face.aue import AUE
from talkbench.metrics.face.openface import AU_INTENSITY, ENV_VAR, OpenFaceFailed, OpenFaceMissing, find_openface, read_openface_csv
from tests.kit.openface import col, fake_openface, frames, fresh_openface_cache, make_executable, write_csv  # noqa: F401 - fixtures


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


def test_row_count_mismatch_is_an_error(fake_openface: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OPENFACE_DROP_LAST", "1")
    with pytest.raises(OpenFaceFailed, match="wrote 3 AU rows for the 4 frames"):
        openface.run_openface(frames(6, t=4), fake_openface.resolve(), "clip.mp4")


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
