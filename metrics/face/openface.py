"""OpenFace 2.2 `FeatureExtraction` as an external tool: find it, run it on frames, read its AU CSV.

Protocol of one pass (shared by AUE, AUE-L and AUE-U):

- The binary is `ctx.options["openface_bin"]` (the `--openface-bin` flag), else `$BENCH_OPENFACE_BIN`,
  else `FeatureExtraction` on PATH. A missing binary raises `OpenFaceMissing`, whose one-line
  message says how to install OpenFace and point talkbench at it.
- Frames go to OpenFace losslessly: each RGB frame is written as a PNG (`frame_000001.png`, ...)
  into a temporary directory, and the directory is run as an image sequence:

      FeatureExtraction -fdir <png dir> -out_dir <out dir> -of aus -aus

  `-fdir` reads the directory's .png/.jpg/.jpeg/.bmp files in sorted name order as one sequence,
  `-out_dir`/`-of` put the CSV at `<out dir>/aus.csv`, and `-aus` limits the output to the action
  units (no HOG, aligned faces, tracked video). Video files would add a second lossy encode on
  top of the render, which is why frames are never handed over as an mp4.
- The CSV is read with pandas. Depending on the OpenFace build the header and/or the rows carry a
  space after each comma (" AU01_r"; the AU post-processing pass rewrites rows with ", "), so
  names and values are stripped. `FeatureExtraction` writes one row per frame (face_id 0);
  should a CSV hold several rows for one frame (a multi-face tool), the most confident row is
  kept, ties going to the first in the file.

The result is an `AUTable`: OpenFace frame numbers, success flags, confidences and the 17 AU
intensities (`_r` columns, 0-5) as a [T, 17] array in `AU_INTENSITY` order. Passes are memoised
in-process by frame content and binary (path, size, mtime), so the three AUE metrics and every
method scored against one reference share a single OpenFace run per video.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from talkbench.core.errors import BenchError, InputError
from talkbench.infra.memo import ResultMemo, content_key
from talkbench.metrics.image.frames import as_stack

BINARY_NAME = "FeatureExtraction"
ENV_VAR = "BENCH_OPENFACE_BIN"
OPTION = "openface_bin"
INSTALL_URL = "https://github.com/TadasBaltrusaitis/OpenFace/wiki"
CSV_NAME = "aus"
"""`-of` value: FeatureExtraction writes `<out dir>/aus.csv`."""

AU_INTENSITY: tuple[str, ...] = (
    "AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
    "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45",
)
"""The 17 AUs OpenFace 2.2 writes intensities for (`<AU>_r`), in its column order.

AU28 has only a presence column (`AU28_c`), so it is not among them."""

STDERR_TAIL_CHARS = 300
"""How much of the binary's own error output goes into the one-line error message."""


class OpenFaceMissing(BenchError):
    """The FeatureExtraction binary cannot be found; the message says how to install and point to it."""


class OpenFaceFailed(BenchError):
    """FeatureExtraction ran but failed (non-zero exit, no CSV, wrong row count); the message names the binary."""


@dataclass(frozen=True)
class AUTable:
    """OpenFace AU intensities of one frame sequence, one row per frame in frame order."""

    frame: np.ndarray
    """int64 [T] OpenFace frame numbers (1-based for sequences)."""
    success: np.ndarray
    """bool [T] OpenFace's `success` flag (False: no face tracked in that frame)."""
    confidence: np.ndarray
    """float64 [T] landmark detection confidence (NaN when the CSV has none)."""
    intensity: np.ndarray
    """float64 [T, 17] AU intensities in `aus` order."""
    aus: tuple[str, ...] = AU_INTENSITY
    source: str = ""
    """What the rows describe (a CSV path or a video source), used in messages."""
    extra_face_rows: int = 0
    """Rows dropped because their frame had another, more confident face."""

    @property
    def num_frames(self) -> int:
        """Number of frames (rows)."""
        return len(self.frame)

    @property
    def num_failed(self) -> int:
        """Frames where OpenFace found no face (success == 0)."""
        return int(np.count_nonzero(~self.success))

    def columns(self, aus: tuple[str, ...] | list[str]) -> np.ndarray:
        """Intensities [T, len(aus)] of the named AUs; KeyError naming an AU not in the table."""
        index = {au: i for i, au in enumerate(self.aus)}
        missing = [au for au in aus if au not in index]
        if missing:
            raise KeyError(f"AUs not in the table: {', '.join(missing)}")
        return self.intensity[:, [index[au] for au in aus]]

    def head(self, n: int) -> AUTable:
        """The first `n` rows."""
        return dataclasses.replace(self, frame=self.frame[:n], success=self.success[:n],
                                   confidence=self.confidence[:n], intensity=self.intensity[:n])

    def rows(self, mask: np.ndarray) -> AUTable:
        """The rows where boolean `mask` is True."""
        return dataclasses.replace(self, frame=self.frame[mask], success=self.success[mask],
                                   confidence=self.confidence[mask], intensity=self.intensity[mask])


# ----------------------------------------------------------------------------- CSV


def read_openface_csv(path: str | Path) -> AUTable:
    """The `AUTable` of a FeatureExtraction CSV; InputError naming the file when it is unreadable or lacks columns."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such OpenFace CSV")
    try:
        # OpenFace's AU post-processing rewrites rows as "1, 0, 0.000, ..." and some builds space the header too
        df = pd.read_csv(path, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty OpenFace CSV (no header)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot parse OpenFace CSV ({type(exc).__name__}: {str(exc).strip()})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return _table_from_frame(df, str(path))


def _table_from_frame(df: Any, source: str) -> AUTable:
    required = ["frame", "success", *(f"{au}_r" for au in AU_INTENSITY)]
    missing = [c for c in required if c not in df.columns]
    if missing:
        hint = " (was FeatureExtraction run with -aus?)" if any(c.endswith("_r") for c in missing) else ""
        raise InputError(f"{source}: not a FeatureExtraction AU CSV, missing columns {', '.join(missing)}{hint}")
    df = df.copy()
    if "confidence" not in df.columns:
        df["confidence"] = np.nan
    numeric = ["frame", "success", "confidence", *(f"{au}_r" for au in AU_INTENSITY)]
    for col in numeric:
        df[col] = _numeric_column(df[col], col, source)
    df, extra = _one_face_per_frame(df)
    values = df[[f"{au}_r" for au in AU_INTENSITY]].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InputError(f"{source}: non-numeric or missing AU intensity in frame {int(df['frame'].iloc[row])}")
    return AUTable(
        frame=df["frame"].to_numpy(dtype=np.int64),
        success=df["success"].to_numpy(dtype=np.float64) != 0,
        confidence=df["confidence"].to_numpy(dtype=np.float64),
        intensity=values,
        source=source,
        extra_face_rows=extra,
    )


def _numeric_column(col: Any, name: str, source: str) -> Any:
    import pandas as pd

    out = pd.to_numeric(col, errors="coerce")
    if name in ("frame", "success") and out.isna().any():
        raise InputError(f"{source}: column {name!r} has non-numeric values")
    return out


def _one_face_per_frame(df: Any) -> tuple[Any, int]:
    """Rows sorted by frame, keeping per frame the most confident face (ties: first row in the file)."""
    df = df.assign(_order=np.arange(len(df)))
    conf = df["confidence"].fillna(-np.inf)
    df = df.assign(_conf=conf).sort_values(["frame", "_conf", "_order"], ascending=[True, False, True])
    kept = df.drop_duplicates("frame", keep="first")
    return kept.drop(columns=["_order", "_conf"]).reset_index(drop=True), int(len(df) - len(kept))


# ----------------------------------------------------------------------------- binary


def _resolve_candidate(candidate: str) -> Path | None:
    """An executable file for `candidate` (a file, a directory holding FeatureExtraction, or a bare name on PATH)."""
    path = Path(candidate).expanduser()
    if path.is_dir():
        path = path / BINARY_NAME
    if path.is_file() and os.access(path, os.X_OK):
        return path.resolve()
    if os.sep not in candidate and (os.altsep is None or os.altsep not in candidate):
        found = shutil.which(candidate)
        return Path(found).resolve() if found else None
    return None


def missing_message(tried: str) -> str:
    """The one-line, actionable message for a binary that cannot be found."""
    return (f"OpenFace 2.2 FeatureExtraction not found ({tried}); install OpenFace 2.2 following {INSTALL_URL} "
            f"(Unix-Installation or Windows-Installation pages) and put {BINARY_NAME} on PATH "
            f"or pass --openface-bin PATH (or set {ENV_VAR})")


def find_openface(options: Mapping[str, Any] | None = None) -> Path:
    """The FeatureExtraction binary: option `openface_bin`, else $BENCH_OPENFACE_BIN, else PATH; OpenFaceMissing otherwise.

    An explicitly configured path that does not resolve is an error, not a reason to fall back.
    """
    options = options or {}
    configured = options.get(OPTION)
    if configured:
        found = _resolve_candidate(str(configured))
        if found is None:
            raise OpenFaceMissing(missing_message(f"--openface-bin {configured}: no such executable"))
        return found
    env = os.environ.get(ENV_VAR)
    if env:
        found = _resolve_candidate(env)
        if found is None:
            raise OpenFaceMissing(missing_message(f"{ENV_VAR}={env}: no such executable"))
        return found
    found = _resolve_candidate(BINARY_NAME)
    if found is None:
        raise OpenFaceMissing(missing_message(f"no {BINARY_NAME} on PATH"))
    return found


_SHA_LOCK = threading.Lock()
_SHA: dict[tuple[str, int, int], str] = {}


def _stat_key(binary: Path) -> tuple[str, int, int]:
    st = binary.stat()
    return str(binary), st.st_size, st.st_mtime_ns


def binary_sha256(binary: Path) -> str:
    """sha256 of the binary file, computed once per (path, size, mtime); identifies the build in results."""
    key = _stat_key(binary)
    with _SHA_LOCK:
        if key in _SHA:
            return _SHA[key]
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    with _SHA_LOCK:
        _SHA[key] = digest
    return digest


# ----------------------------------------------------------------------------- running


def feature_extraction_command(binary: Path, image_dir: Path, out_dir: Path) -> list[str]:
    """The FeatureExtraction argv: the image sequence in `image_dir`, AU output only, CSV at `out_dir/aus.csv`."""
    return [str(binary), "-fdir", str(image_dir), "-out_dir", str(out_dir), "-of", CSV_NAME, "-aus"]


def _as_uint8(frames: np.ndarray, source: str) -> np.ndarray:
    arr = as_stack(frames, source)
    if arr.dtype == np.uint8:
        return arr
    if np.issubdtype(arr.dtype, np.floating):
        return np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8)
    raise InputError(f"{source}: expected uint8 or float [0,1] frames for OpenFace, got {arr.dtype}")


def write_frames(frames: np.ndarray, directory: Path) -> list[Path]:
    """Write RGB frames as lossless PNGs named so that sorted order is frame order; the written paths."""
    import cv2

    directory.mkdir(parents=True, exist_ok=True)
    width = max(6, len(str(len(frames))))
    paths = []
    for i, frame in enumerate(frames, start=1):
        path = directory / f"frame_{i:0{width}d}.png"
        # cv2 writes BGR; fast compression keeps it lossless and cheap
        if not cv2.imwrite(str(path), np.ascontiguousarray(frame[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 1]):
            raise BenchError(f"{path}: could not write frame for OpenFace")
        paths.append(path)
    return paths


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tail = " | ".join(lines[-3:])
    return tail[-STDERR_TAIL_CHARS:] if len(tail) > STDERR_TAIL_CHARS else tail


def _output_tail(proc: subprocess.CompletedProcess) -> str:
    # OpenFace prints its own errors to stdout, so fall back to it when stderr is empty
    return _tail(proc.stderr or "") or _tail(proc.stdout or "") or "no output"


def run_openface(frames: np.ndarray, binary: Path, source: str = "frames", timeout_s: float | None = None) -> AUTable:
    """Run FeatureExtraction on a frame stack (uint8 RGB [T,H,W,3]) through lossless PNGs; its AUTable.

    OpenFaceFailed (one line naming the binary) on a non-zero exit, a missing CSV or a row count
    other than T; InputError for frames that are not an RGB stack.
    """
    stack = _as_uint8(frames, source)
    if len(stack) == 0:
        raise InputError(f"{source}: no frames to run OpenFace on")
    with tempfile.TemporaryDirectory(prefix="talkbench-openface-") as tmp:
        image_dir, out_dir = Path(tmp) / "frames", Path(tmp) / "out"
        write_frames(stack, image_dir)
        out_dir.mkdir()
        cmd = feature_extraction_command(binary, image_dir, out_dir)
        try:
            proc = subprocess.run(cmd, check=False, cwd=tmp, capture_output=True, text=True, errors="replace", timeout=timeout_s)
        except OSError as exc:
            raise OpenFaceFailed(f"{binary}: cannot run ({type(exc).__name__}: {exc})") from exc
        except subprocess.TimeoutExpired:
            raise OpenFaceFailed(f"{binary}: no result after {timeout_s} s on {len(stack)} frames of {source}") from None
        if proc.returncode != 0:
            raise OpenFaceFailed(f"{binary} exited with code {proc.returncode} on {source}: {_output_tail(proc)}")
        try:
            table = read_openface_csv(_find_csv(out_dir, binary, proc))
        except InputError as exc:  # a bad CSV from the tool is the tool's failure, not bad user input
            raise OpenFaceFailed(f"{binary} wrote an unreadable AU CSV: {exc}") from exc
    if table.num_frames != len(stack):
        raise OpenFaceFailed(f"{binary} wrote {table.num_frames} AU rows for the {len(stack)} frames of {source}")
    return dataclasses.replace(table, source=source)


def _find_csv(out_dir: Path, binary: Path, proc: subprocess.CompletedProcess) -> Path:
    expected = out_dir / f"{CSV_NAME}.csv"
    if expected.is_file():
        return expected
    others = sorted(out_dir.rglob("*.csv"))
    if len(others) == 1:
        return others[0]
    # FeatureExtraction exits 0 without output when it cannot open the input
    raise OpenFaceFailed(f"{binary} wrote no AU CSV into {out_dir}: {_output_tail(proc)}")


_MEMO: ResultMemo[AUTable] = ResultMemo(capacity=32)


def clear_cache() -> None:
    """Forget memoised OpenFace passes and binary hashes (tests, or after reinstalling OpenFace)."""
    _MEMO.clear()
    with _SHA_LOCK:
        _SHA.clear()


def openface_aus(frames: np.ndarray, binary: Path, source: str = "frames") -> AUTable:
    """`run_openface` memoised by frame content and binary (path, size, mtime); `source` only names the frames."""
    stack = _as_uint8(frames, source)
    key = content_key("openface-aus", stack, *_stat_key(binary))
    table = _MEMO.get_or_compute(key, lambda: run_openface(stack, binary, source))
    return dataclasses.replace(table, source=source)
