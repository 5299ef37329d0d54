"""OpenFace stand-ins for the AUE tests: CSVs in FeatureExtraction's layout, and a fake FeatureExtraction binary
(a small Python script that takes its flags and writes AU values that are a known function of each image's
brightness), so no OpenFace is needed."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from talkbench.metrics.face import openface
from talkbench.metrics.face.openface import AU_INTENSITY, AUTable

AU_PRESENCE = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
               "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45")
"""OpenFace 2.2's `_c` columns: the 17 intensity AUs plus AU28."""


@pytest.fixture(autouse=True)
def fresh_openface_cache() -> None:
    """OpenFace's memo emptied before each test (autouse where imported)."""
    openface.clear_cache()


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
