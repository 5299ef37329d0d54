"""The hostile-input battery of the `bench` command line (bench/cli as a whole).

Every case runs one command in-process (`talkbench.cli.main.main`) against inputs a new user could hand it: broken,
empty, truncated or mis-typed files, a directory where a file is expected, wrong rates and lengths, NaN audio,
bad `--set` values per field type, unknown names, hostile weights files, a file where a folder is expected. Each
asserts the exit code (non-zero for an error; 0 where the README promises a conversion, with the note saying what
was converted), one line matching the case's pattern that names the file, key or value, no traceback, and that a
result stored before the battery (one `static` run on a tiny card) is unchanged afterwards.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import soundfile as sf

from talkbench.cli.main import main
from talkbench.io.video import write_video
from tests.conftest import REPO, write_card

SR = 16000


@dataclass
class Case:
    """One hostile command: argv with {placeholders}, the exit code, and a pattern one output line must match."""

    id: str
    argv: list[str]
    code: int
    pattern: str
    """Regex (placeholders {name} are replaced by the escaped paths) searched line by line in stdout + stderr."""
    fresh_home: bool = False
    """Run with an empty $BENCH_HOME of its own (weights installs, an empty store)."""
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[dict[str, Path], Path], None] | None = None
    """Prepares the case's home (the paths and the home folder are passed)."""
    after: Callable[[dict[str, Path], Path], None] | None = None
    """Extra assertions after the command (a marker file never created, an output never written)."""


class Evil:
    """Unpickling this creates the folder `marker`: a stand-in for any code a pickle can run."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.marker,))


# ----------------------------------------------------------------------------- inputs, built once


def _noise_frames(count: int, size: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((count, size, size, 3)) * 255).astype(np.uint8)


def _tone(seconds: float, rate: int = SR, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return mono if channels == 1 else np.stack([mono, 0.5 * mono], axis=1)


def _face_frames(count: int) -> np.ndarray:
    from skimage import data

    face = np.ascontiguousarray(data.astronaut()[0:256:2, 80:336:2])  # 128 px head and shoulders
    return np.stack([face] * count)


def _make_media(root: Path) -> dict[str, Path]:
    """Every input file of the battery (small: the whole set takes about a second to write)."""
    import torch

    p: dict[str, Path] = {}

    def path(name: str) -> Path:
        p[name.replace(".", "_").replace("-", "_")] = root / name
        return root / name

    write_video(path("v25.mp4"), _noise_frames(12, 32), 25, _tone(12 / 25))
    write_video(path("v30.mp4"), _noise_frames(12, 32), 30)
    write_video(path("v48px.mp4"), _noise_frames(12, 48), 25)
    write_video(path("noaudio.mp4"), _noise_frames(12, 32), 25)
    write_video(path("face.mp4"), _face_frames(6), 25, _tone(6 / 25))
    write_video(path("noface.mp4"), _noise_frames(6, 128), 25, _tone(6 / 25))
    write_video(path("noface_long.mp4"), _noise_frames(50, 128), 25, _tone(2.0))
    write_video(path("three_frames.mp4"), _noise_frames(3, 32), 25, _tone(3 / 25))
    write_video(path("prep30.mp4"), _noise_frames(60, 32), 30, _tone(2.0))
    write_video(path("prep30_44k.mp4"), _noise_frames(60, 32), 30, _tone(2.0, 44100), sample_rate=44100)
    write_video(path("prep_silent_video.mp4"), _noise_frames(50, 32), 25)
    path("empty.mp4").write_bytes(b"")
    path("garbage.mp4").write_bytes(np.random.default_rng(1).bytes(4000))
    path("truncated.mp4").write_bytes(p["v25_mp4"].read_bytes()[:600])
    path("notes.txt").write_text("not media\n")
    path("folder.mp4").mkdir()
    path("folder").mkdir()
    path("afile").write_text("a file where a folder is expected\n")

    sf.write(path("speech.wav"), _tone(1.0), SR)
    sf.write(path("speech44k_stereo.wav"), _tone(1.0, 44100, channels=2), 44100)
    sf.write(path("long44k_stereo.wav"), _tone(3.0, 44100, channels=2), 44100)
    sf.write(path("silent.wav"), np.zeros(SR, np.float32), SR)
    sf.write(path("tiny.wav"), _tone(0.005), SR)  # 80 samples
    sf.write(path("short_for_video.wav"), _tone(0.1), SR)
    sf.write(path("empty.wav"), np.zeros(0, np.float32), SR)
    for name, bad in (("nan.wav", np.nan), ("inf.wav", np.inf)):
        x = _tone(1.0)
        x[100:110] = bad
        sf.write(path(name), x, SR, subtype="FLOAT")
    path("garbage.wav").write_bytes(np.random.default_rng(2).bytes(3000))
    path("folder.wav").mkdir()

    path("bad.json").write_text("{ not json")
    path("list.json").write_text("[1, 2, 3]")
    path("blank.json").write_text("")
    path("entry_value.json").write_text(json.dumps({"entries": [{"task": "reconstruct", "dataset": "synthetic-portrait",
                                                                  "method": "static", "metric": "psnr", "value": "abc"}]}))
    path("entry_not_object.json").write_text(json.dumps({"entries": ["psnr"]}))
    path("tolerance.json").write_text(json.dumps({"tolerances": {"psnr": "loose"}, "entries": []}))
    path("folder.json").mkdir()

    torch.manual_seed(0)
    torch.save({"w": torch.randn(3, 3)}, path("valid.pth"))
    path("garbage.pth").write_bytes(np.random.default_rng(3).bytes(2048))
    path("empty.pth").write_bytes(b"")
    path("truncated.pth").write_bytes(p["valid_pth"].read_bytes()[:200])
    torch.save(torch.nn.Linear(2, 2), path("module.pth"))  # a pickled module: code runs to rebuild it
    torch.save({"w": Evil(root / "pwned_torch")}, path("evil_torch.pth"))
    with open(path("evil_raw.pth"), "wb") as fh:
        pickle.dump(Evil(root / "pwned_raw"), fh)
    path("folder.pth").mkdir()
    snapshot = path("snapshot")
    snapshot.mkdir()
    (snapshot / "config.json").write_text("{}")
    path("garbage.npy").write_bytes(b"\x93NUMPY garbage")
    bfm = path("bfm")
    bfm.mkdir()
    (bfm / "3DMM_info.npy").write_bytes(b"\x93NUMPY garbage")
    (bfm / "keys_info.npy").write_bytes(b"\x93NUMPY garbage")
    path("features_short.npy")
    np.save(p["features_short_npy"], np.zeros((3, 16, 29), np.float32))
    path("missing")  # never created
    return p


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tiny cards, a home with one stored `static` result, and the media; the environment set for the module."""
    root = tmp_path_factory.mktemp("battery")
    cards = root / "cards"
    cards.mkdir()
    for card in sorted((REPO / "datasets").glob("*.toml")):
        data = tomllib.loads(card.read_text())
        if data.get("kind") == "synthetic":
            data["generator"]["seconds"] = 2.0
            data["resolution"]["smoke"] = 32
        write_card(cards / card.name, data)
    media = root / "media"
    media.mkdir()
    paths = _make_media(media)
    import talkbench.datasets.cards as card_registry

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCH_HOME", str(root / "home"))
        mp.setenv("BENCH_CARDS", str(cards))
        mp.setattr(card_registry, "_CARDS", None)
        code = main(["run", "--method", "static", "--dataset", "synthetic-portrait", "--numerics", "native",
                     "--metric", "psnr", "--metric", "ssim", "--no-leaderboard"])
        assert code == 0
        yield {"root": root, "home": root / "home", "paths": paths}
    card_registry._CARDS = None


def stored_state(home: Path) -> tuple[Any, ...]:
    """The stored results (values and provenance columns) and the stored run's files, compared before and after."""
    import sqlite3

    with sqlite3.connect(home / "results.sqlite") as db:
        rows = sorted(db.execute("SELECT run_id, condition, metric, value, dataset_sha, created FROM results").fetchall())
        runs = sorted(db.execute("SELECT run_id, status, finished FROM runs").fetchall())
    files = {p.relative_to(home).as_posix(): p.read_bytes() for p in sorted((home / "runs").rglob("*.json"))}
    return rows, runs, files


# ----------------------------------------------------------------------------- setups and checks used by cases


def _install(name: str, source: str) -> Callable[[dict[str, Path], Path], None]:
    def setup(paths: dict[str, Path], home: Path) -> None:
        from talkbench.infra import weights

        weights.install(name, str(paths[source]))

    return setup


def _zero_s3fd_and_random_syncnet(paths: dict[str, Path], home: Path) -> None:
    """SyncNet with random weights and an S3FD whose weights are all zero: it never detects a face."""
    import torch
    from syncnet_python.detectors.s3fd.nets import S3FDNet
    from syncnet_python.SyncNetModel import S

    from talkbench.infra import weights

    torch.manual_seed(0)
    torch.save(S().state_dict(), home / "syncnet.model")
    torch.save({k: torch.zeros_like(v) for k, v in S3FDNet(device="cpu").state_dict().items()}, home / "sfd.pth")
    weights.install("syncnet_v2", str(home / "syncnet.model"))
    weights.install("sfd_face", str(home / "sfd.pth"))


def _garbage_pins(paths: dict[str, Path], home: Path) -> None:
    (home / "weights").mkdir(parents=True, exist_ok=True)
    (home / "weights" / "pins.json").write_text("{ garbage")


def _no_marker(*names: str) -> Callable[[dict[str, Path], Path], None]:
    def check(paths: dict[str, Path], home: Path) -> None:
        for name in names:
            assert not (paths["v25_mp4"].parent / name).exists(), f"unpickling ran code: {name} was created"

    return check


def _not_installed(name: str) -> Callable[[dict[str, Path], Path], None]:
    def check(paths: dict[str, Path], home: Path) -> None:
        from talkbench.infra import weights

        assert weights.status(name)[0] == "missing", f"{name} was installed"

    return check


def _installed(name: str) -> Callable[[dict[str, Path], Path], None]:
    def check(paths: dict[str, Path], home: Path) -> None:
        from talkbench.infra import weights

        assert weights.status(name)[0] == "installed", f"{name} was lost"

    return check


def _own_card(paths: dict[str, Path], home: Path) -> None:
    """A user card `mine` (written the way `bench data prepare --name` writes it)."""
    from talkbench.datasets.user_cards import user_card, write_user_card

    write_user_card(user_card("mine", paths["prep30_mp4"], None, 25.0, "0" * 64, size=(32, 32)))


def _no_own_card(paths: dict[str, Path], home: Path) -> None:
    assert not (home / "cards" / "mine.toml").exists(), "a refused --name wrote its card"


def _broken_user_card(paths: dict[str, Path], home: Path) -> None:
    (home / "cards").mkdir(parents=True, exist_ok=True)
    (home / "cards" / "broken.toml").write_text("name = [unclosed\n")


def _absent(placeholder: str) -> Callable[[dict[str, Path], Path], None]:
    def check(paths: dict[str, Path], home: Path) -> None:
        assert not Path(placeholder.format(**paths)).exists(), f"{placeholder} was written"

    return check


def _unchanged(name: str) -> Callable[[dict[str, Path], Path], None]:
    def check(paths: dict[str, Path], home: Path) -> None:
        data, rate = sf.read(str(paths[name]))
        assert rate == SR and len(data) == SR, f"{paths[name]} was overwritten"

    return check


# ----------------------------------------------------------------------------- the cases

NERF = ["run", "--method", "er-nerf", "--dataset", "synthetic-portrait", "--numerics", "native", "--no-leaderboard"]
RETRIEVAL = ["run", "--method", "retrieval", "--dataset", "synthetic-portrait", "--numerics", "native", "--no-leaderboard"]
STATIC = ["run", "--method", "static", "--dataset", "synthetic-portrait", "--numerics", "native", "--no-leaderboard"]
ENHANCE = ["run", "--task", "enhance", "--method", "mss", "--dataset", "synthetic-noisy-speech", "--numerics", "native",
           "--no-leaderboard"]
SCORE = ["score", "--pred", "{v25_mp4}", "--ref", "{v25_mp4}"]
PREP = ["data", "prepare", "--card", "may"]
OWN = ["data", "prepare", "--name", "mine"]
DENOISE = ["denoise", "{speech_wav}"]
INSTALL = ["weights", "install"]
UNKNOWN = r"unknown {kind} '{name}'; did you mean '{hint}'"


def _unknown(kind: str, name: str, hint: str) -> str:
    return UNKNOWN.format(kind=kind, name=re.escape(name), hint=re.escape(hint))


CASES: list[Case] = [
    # --- bench (argument parsing) and bench list
    Case("no-command", [], 2, r"the following arguments are required: COMMAND"),
    Case("list-unknown-kind", ["list", "metricz"], 2, r"invalid choice: 'metricz'"),
    # --- bench run: names
    Case("run-unknown-method", ["run", "--method", "retrival", "--dataset", "synthetic-portrait"], 1,
         _unknown("method", "retrival", "retrieval")),
    Case("run-unknown-dataset", ["run", "--method", "static", "--dataset", "synthetic-portriat"], 1,
         _unknown("dataset", "synthetic-portriat", "synthetic-portrait")),
    Case("run-unknown-task", [*STATIC, "--task", "reconstrct"], 1, _unknown("task", "reconstrct", "reconstruct")),
    Case("run-unknown-metric", [*STATIC, "--metric", "psnrr"], 1, _unknown("metric", "psnrr", "psnr")),
    Case("run-speech-metric-on-video-task", [*STATIC, "--metric", "pesq"], 1,
         r"metric 'pesq' scores speech.*task 'reconstruct' scores video"),
    Case("run-video-method-on-enhance", ["run", "--task", "enhance", "--method", "static", "--dataset",
                                         "synthetic-noisy-speech"], 1, r"method 'static' cannot run task 'enhance'"),
    Case("run-enhancer-on-reconstruct", ["run", "--method", "mss", "--dataset", "synthetic-portrait"], 1,
         r"method 'mss' cannot run task 'reconstruct'"),
    Case("run-dataset-of-another-task", ["run", "--method", "static", "--dataset", "synthetic-noisy-speech"], 1,
         r"dataset 'synthetic-noisy-speech' serves \['enhance'\], not task 'reconstruct'"),
    Case("run-unprepared-card", ["run", "--method", "static", "--dataset", "lieu", "--no-leaderboard"], 1,
         r"^bench: error: dataset 'lieu' is not prepared .*bench data prepare --card lieu --video PATH"),
    Case("run-unprepared-corpus", ["run", "--task", "enhance", "--method", "mss", "--dataset", "voicebank-demand"], 1,
         r"^bench: error: dataset 'voicebank-demand' is not prepared .*bench data prepare --card voicebank-demand --path DIR"),
    Case("run-all-of-unknown-task", ["run", "--method", "all", "--task", "enhanse", "--dataset", "synthetic-noisy-speech"],
         1, _unknown("task", "enhanse", "enhance")),
    # --- bench run: options
    Case("run-profile-unknown", [*STATIC, "--profile", "fast"], 2, r"invalid choice: 'fast'"),
    Case("run-seed-text", [*STATIC, "--seed", "abc"], 1, r"--seed 'abc': a seed is an integer"),
    Case("run-seed-list-text", [*STATIC, "--seed", "0,x"], 1, r"--seed 'x': a seed is an integer"),
    Case("run-set-grid-empty-value", [*STATIC, "--set", "smooth=1,"], 1, r"--set 'smooth=1,' has an empty grid value"),
    Case("run-sweep-missing", ["run", "--sweep", "{afile}-none.toml"], 1, r"--sweep {afile}-none.toml: no such file"),
    Case("run-sweep-not-toml", ["run", "--sweep", "{garbage_pth}"], 1, r"--sweep {garbage_pth} is not valid TOML"),
    Case("run-executor-unknown", [*STATIC, "--executor", "dask"], 1,
         r"unknown executor 'dask'; choose one of local, process, ray, slurm"),
    Case("run-jobs-zero", [*STATIC, "--executor", "process", "--jobs", "0"], 1, r"--jobs must be at least 1, not 0"),
    Case("run-seed-negative", [*STATIC, "--seed", "-1"], 1, r"--seed -1: a seed is a non-negative integer"),
    Case("run-overwrite-unknown", [*STATIC, "--overwrite", "sometimes"], 2, r"invalid choice: 'sometimes'"),
    Case("run-numerics-unknown", [*STATIC, "--numerics", "fast"], 2, r"invalid choice: 'fast'"),
    Case("run-device-unknown", [*STATIC, "--device", "tpu"], 1, r"--device 'tpu'.*auto, cpu or cuda"),
    Case("run-lse-min-track-negative", [*STATIC, "--lse-min-track", "-3"], 1,
         r"--lse-min-track -3: .*non-negative"),
    Case("run-lse-min-track-text", [*STATIC, "--lse-min-track", "abc"], 2, r"invalid int value: 'abc'"),
    Case("run-landmarks-unknown", [*STATIC, "--landmarks", "dlib"], 2, r"invalid choice: 'dlib'"),
    Case("run-out-is-a-file", [*STATIC, "--out", "{afile}"], 1, r"--out {afile} is a file, not a directory"),
    Case("run-bench-home-is-a-file", STATIC, 1, r"BENCH_HOME={afile} is a file, not a directory",
         env={"BENCH_HOME": "{afile}"}),
    # --- bench run --set: one field type at a time
    Case("set-no-equals", [*NERF, "--set", "optim.lr"], 1, r"--set expects KEY=VALUE \(or KEY=V1,V2 for a grid\), got 'optim.lr'"),
    Case("set-empty-key", [*NERF, "--set", "=3"], 1, r"--set expects KEY=VALUE \(or KEY=V1,V2 for a grid\), got '=3'"),
    Case("set-same-key-twice", [*NERF, "--set", "optim.lr=1e-3", "--set", "optim.lr=2e-3"], 1,
         r"--set optim.lr given twice"),
    Case("set-float-text", [*NERF, "--set", "optim.lr=abc"], 1, r"--set optim.lr=abc: 'abc' is not a number"),
    Case("set-float-nan", [*NERF, "--set", "optim.lr=nan"], 1, r"--set optim.lr=nan: .*finite"),
    Case("set-float-inf", [*NERF, "--set", "optim.lr=inf"], 1, r"--set optim.lr=inf: .*finite"),
    Case("set-float-huge", [*NERF, "--set", "optim.lr=1e400"], 1, r"--set optim.lr=1e400: .*finite"),
    Case("set-float-negative", [*NERF, "--set", "optim.lr=-0.1"], 1, r"--set optim.lr=-0.1: must be > 0"),
    Case("set-float-zero", [*NERF, "--set", "optim.lr=0"], 1, r"--set optim.lr=0: must be > 0"),
    Case("set-fraction-above-one", [*NERF, "--set", "sampling.box_fraction=1.5"], 1,
         r"--set sampling.box_fraction=1.5: must be in \[0, 1\]"),
    Case("set-beta-one", [*NERF, "--set", "optim.beta2=1"], 1, r"--set optim.beta2=1: must be in \[0, 1\)"),
    Case("set-int-text", [*NERF, "--set", "audio.n_mels=many"], 1, r"--set audio.n_mels=many: 'many' is not an integer"),
    Case("set-int-fraction", [*NERF, "--set", "audio.n_mels=2.5"], 1, r"--set audio.n_mels=2.5: '2.5' is not an integer"),
    Case("set-int-zero", [*NERF, "--set", "audio.n_mels=0"], 1, r"--set audio.n_mels=0: must be in \[1, 201\]"),
    Case("set-int-huge", [*NERF, "--set", "audio.n_mels=100000"], 1, r"--set audio.n_mels=100000: must be in \[1, 201\]"),
    Case("set-int-negative", [*NERF, "--set", "stages.iters=-5"], 1, r"--set stages.iters=-5: must be >= 1"),
    Case("set-nested-grid-huge", [*NERF, "--set", "head.grid.log2_hashmap_size=40"], 1,
         r"--set head.grid.log2_hashmap_size=40: must be in \[4, 24\]"),
    Case("set-bool-word", [*NERF, "--set", "audio.attention=maybe"], 1,
         r"--set audio.attention=maybe: 'maybe' is not a switch value.*on/off"),
    Case("set-bool-number", [*NERF, "--set", "audio.attention=2"], 1, r"--set audio.attention=2: '2' is not a switch value"),
    Case("set-enum-unknown", [*NERF, "--set", "audio_features=mfcc"], 1,
         r"--set audio_features=mfcc: must be one of log-mel, hubert, wav2vec, syncnet, deepspeech"),
    Case("set-enum-typo", [*NERF, "--set", "optim.optimizer=adamm"], 1,
         r"--set optim.optimizer=adamm: must be one of adamw, adam; did you mean 'adam"),
    Case("set-enum-device", [*NERF, "--set", "device=gpu"], 1, r"--set device=gpu: must be one of auto, cpu, cuda"),
    Case("set-key-typo-nested", [*NERF, "--set", "optim.lrr=1"], 1,
         r"unknown config field 'optim.lrr' for ERNeRFConfig; did you mean optim.lr"),
    Case("set-key-typo-leaf", [*NERF, "--set", "n_mel=5"], 1, r"unknown config field 'n_mel' .*did you mean audio.n_mels"),
    Case("set-key-is-a-group", [*NERF, "--set", "optim=1"], 1, r"config field 'optim' of ERNeRFConfig is a group"),
    Case("set-key-too-deep", [*NERF, "--set", "optim.lr.x=1"], 1, r"unknown config field 'optim.lr.x'"),
    Case("set-retrieval-smooth-text", [*RETRIEVAL, "--set", "smooth=abc"], 1, r"--set smooth=abc: 'abc' is not an integer"),
    Case("set-retrieval-n-mels-zero", [*RETRIEVAL, "--set", "n_mels=0"], 1, r"--set n_mels=0: must be in \[1, 201\]"),
    Case("set-retrieval-window-negative", [*RETRIEVAL, "--set", "window_s=-1"], 1, r"--set window_s=-1: must be > 0"),
    Case("set-static-has-no-fields", [*STATIC, "--set", "fps=30"], 1, r"unknown config field 'fps' for StaticConfig"),
    Case("set-synctalk-enum", ["run", "--method", "synctalk", "--dataset", "synthetic-portrait", "--set",
                               "expression=mouth"], 1, r"--set expression=mouth: must be one of upper-face, eye"),
    Case("set-wildtalker-bool", ["run", "--method", "wildtalker", "--dataset", "synthetic-portrait", "--set",
                                 "mss=perhaps"], 1, r"--set mss=perhaps: 'perhaps' is not a switch value"),
    Case("set-enhance-alpha-negative", [*ENHANCE, "--set", "alpha=-1"], 1, r"alpha.*-1"),
    Case("set-enhance-scales-bad", [*ENHANCE, "--set", "scales=512:abc"], 1, r"bad scale '512:abc'"),
    Case("set-enhance-frames-negative", [*ENHANCE, "--set", "noise_frames=-2"], 1, r"--set noise_frames=-2: must be >= 0"),
    # --- bench score: the files
    Case("score-pred-missing", ["score", "--pred", "{missing}", "--ref", "{v25_mp4}"], 1, r"{missing}: no such file"),
    Case("score-pred-directory", ["score", "--pred", "{folder_mp4}", "--ref", "{v25_mp4}"], 1,
         r"{folder_mp4}: is a directory, not a file"),
    Case("score-pred-empty", ["score", "--pred", "{empty_mp4}", "--ref", "{v25_mp4}"], 1, r"{empty_mp4}: empty file"),
    Case("score-pred-garbage", ["score", "--pred", "{garbage_mp4}", "--ref", "{v25_mp4}"], 1,
         r"{garbage_mp4}: cannot decode video"),
    Case("score-pred-truncated", ["score", "--pred", "{truncated_mp4}", "--ref", "{v25_mp4}"], 1,
         r"{truncated_mp4}: (cannot decode video|no decodable frames)"),
    Case("score-video-against-audio", ["score", "--pred", "{v25_mp4}", "--ref", "{speech_wav}"], 1,
         r"{speech_wav} is audio but {v25_mp4} is a video"),
    Case("score-pred-audio-ref-video", ["score", "--pred", "{speech_wav}", "--ref", "{v25_mp4}"], 1,
         r"{speech_wav} is audio but {v25_mp4} is a video"),
    Case("score-ref-missing", ["score", "--pred", "{v25_mp4}", "--ref", "{missing}"], 1, r"{missing}: no such file"),
    Case("score-ref-directory", ["score", "--pred", "{v25_mp4}", "--ref", "{folder}"], 1,
         r"{folder}: is a directory, not a file"),
    Case("score-unsupported-type", ["score", "--pred", "{notes_txt}", "--ref", "{v25_mp4}"], 1,
         r"{notes_txt}: unsupported file type '.txt'"),
    Case("score-resolution-mismatch", ["score", "--pred", "{v25_mp4}", "--ref", "{v48px_mp4}"], 1,
         r"{v25_mp4} is 32x32 but {v48px_mp4} is 48x48"),
    Case("score-frame-rate-mismatch", ["score", "--pred", "{v25_mp4}", "--ref", "{v30_mp4}", "--metric", "psnr"], 1,
         r"{v25_mp4} is 25 fps but {v30_mp4} is 30 fps"),
    Case("score-speech-metric-on-videos", [*SCORE, "--metric", "pesq"], 1, r"metric 'pesq' scores speech; {v25_mp4} is a video"),
    Case("score-video-metric-on-audio", ["score", "--pred", "{speech_wav}", "--ref", "{speech_wav}", "--metric", "psnr"], 1,
         r"metric 'psnr' scores video; {speech_wav} is audio"),
    Case("score-unknown-metric", [*SCORE, "--metric", "psnrr"], 1, _unknown("metric", "psnrr", "psnr")),
    Case("score-device-unknown", [*SCORE, "--metric", "psnr", "--device", "tpu"], 1, r"--device 'tpu'"),
    Case("score-lse-min-track-negative", [*SCORE, "--metric", "lse_c", "--lse-min-track", "-1"], 1,
         r"--lse-min-track -1: .*non-negative"),
    Case("score-bench-home-is-a-file", [*SCORE, "--metric", "lpips"], 1, r"BENCH_HOME={afile} is a file",
         env={"BENCH_HOME": "{afile}"}),
    # --- bench score: audio for the sync metrics
    Case("score-audio-missing", [*SCORE, "--metric", "lse_c", "--audio", "{missing}"], 1, r"{missing}: no such file"),
    Case("score-audio-directory", [*SCORE, "--metric", "lse_c", "--audio", "{folder_wav}"], 1,
         r"{folder_wav}: is a directory, not a file"),
    Case("score-audio-garbage", [*SCORE, "--metric", "lse_c", "--audio", "{garbage_wav}"], 1,
         r"{garbage_wav}: cannot decode audio"),
    Case("score-audio-shorter-than-video", [*SCORE, "--metric", "lse_c", "--audio", "{short_for_video_wav}"], 1,
         r"{short_for_video_wav}: audio is 0.10 s, shorter than {v25_mp4}'s 0.48 s"),
    Case("score-audio-nan", [*SCORE, "--metric", "lse_c", "--audio", "{nan_wav}"], 1, r"{nan_wav}: .*NaN or infinite"),
    Case("score-audio-converted", [*SCORE, "--metric", "lse_c", "--audio", "{long44k_stereo_wav}"], 0,
         r"note: {long44k_stereo_wav}: resampled 44100 Hz -> 16000 Hz"),
    Case("score-audio-downmixed", [*SCORE, "--metric", "lse_c", "--audio", "{long44k_stereo_wav}"], 0,
         r"note: {long44k_stereo_wav}: 2-channel audio downmixed to mono"),
    Case("score-audio-longer-trimmed", [*SCORE, "--metric", "lse_c", "--audio", "{long44k_stereo_wav}"], 0,
         r"note: {long44k_stereo_wav}: audio is 3.00 s, the video's 0.48 s: the first 0.48 s are used"),
    Case("score-sync-no-audio-track", ["score", "--pred", "{noaudio_mp4}", "--ref", "{noaudio_mp4}", "--metric", "lse_c"], 0,
         r"lse_c +unavailable: {noaudio_mp4} has no audio track"),
    Case("score-sync-no-face", ["score", "--pred", "{noface_mp4}", "--ref", "{noface_mp4}", "--metric", "lse_c",
                                "--lse-min-track", "2"], 0, r"lse_c +unavailable: {noface_mp4}: no face track",
         fresh_home=True, setup=_zero_s3fd_and_random_syncnet),
    Case("score-lmd-no-face-in-pred", ["score", "--pred", "{noface_mp4}", "--ref", "{face_mp4}", "--metric", "lmd"], 0,
         r"lmd +unavailable: no face found in any frame of {noface_mp4}"),
    Case("score-lmd-no-face-in-ref", ["score", "--pred", "{face_mp4}", "--ref", "{noface_mp4}", "--metric", "lmd"], 0,
         r"lmd +unavailable: no face found in any frame of {noface_mp4}"),
    Case("score-aue-openface-is-a-directory", ["score", "--pred", "{face_mp4}", "--ref", "{face_mp4}", "--metric", "aue",
                                               "--openface-bin", "{folder}"], 0, r"aue +unavailable: .*{folder}"),
    # --- bench score: speech files
    Case("score-wav-nan-pred", ["score", "--pred", "{nan_wav}", "--ref", "{speech_wav}"], 1, r"{nan_wav}: .*NaN or infinite"),
    Case("score-wav-inf-ref", ["score", "--pred", "{speech_wav}", "--ref", "{inf_wav}"], 1, r"{inf_wav}: .*NaN or infinite"),
    Case("score-wav-empty", ["score", "--pred", "{empty_wav}", "--ref", "{speech_wav}"], 1, r"{empty_wav}: .*empty"),
    Case("score-wav-garbage", ["score", "--pred", "{garbage_wav}", "--ref", "{speech_wav}"], 1,
         r"{garbage_wav}: cannot decode audio"),
    Case("score-wav-too-short", ["score", "--pred", "{tiny_wav}", "--ref", "{tiny_wav}"], 1,
         r"{tiny_wav}: 80 samples \(0.005 s\).*at least"),
    Case("score-wav-silent-reference", ["score", "--pred", "{speech_wav}", "--ref", "{silent_wav}"], 1,
         r"{silent_wav}: the reference audio is silent"),
    Case("score-wav-converted", ["score", "--pred", "{speech44k_stereo_wav}", "--ref", "{speech_wav}", "--metric",
                                 "si_sdr"], 0, r"note: {speech44k_stereo_wav}: resampled 44100 Hz -> 16000 Hz"),
    Case("score-wav-channel-unknown", ["score", "--pred", "{speech_wav}", "--ref", "{speech_wav}", "--channel", "both"], 2,
         r"argument --channel: invalid choice: 'both'"),
    Case("score-wav-channel-each", ["score", "--pred", "{speech44k_stereo_wav}", "--ref", "{speech_wav}", "--metric",
                                    "si_sdr", "--channel", "each"], 0, r"^si_sdr\[right\] +\S+"),
    Case("score-video-channel", [*SCORE, "--metric", "psnr", "--channel", "left"], 1,
         r"--channel left: chooses the channels of speech files; {v25_mp4} is a video"),
    # --- bench leaderboard
    Case("leaderboard-out-is-a-directory", ["leaderboard", "--out", "{folder}"], 1,
         r"--out {folder}: a directory; give a file name"),
    Case("leaderboard-out-in-missing-folder", ["leaderboard", "--out", "{missing}/table.md"], 1,
         r"--out {missing}/table.md: no such folder {missing}"),
    Case("leaderboard-unknown-task", ["leaderboard", "--task", "reconstrct"], 1, _unknown("task", "reconstrct", "reconstruct")),
    Case("leaderboard-unknown-dataset", ["leaderboard", "--dataset", "synthetic-portriat"], 1,
         _unknown("dataset", "synthetic-portriat", "synthetic-portrait")),
    Case("leaderboard-unknown-profile", ["leaderboard", "--profile", "fast"], 1, r"--profile 'fast'.*smoke, lipsync, cpu-long, paper"),
    Case("leaderboard-unknown-ablation", ["leaderboard", "--ablation", "wildtalkr"], 1,
         _unknown("method", "wildtalkr", "wildtalker")),
    Case("leaderboard-unknown-format", ["leaderboard", "--format", "pdf"], 2, r"invalid choice: 'pdf'"),
    Case("leaderboard-empty-store", ["leaderboard"], 1, r"no stored results in .*: run bench run first", fresh_home=True),
    Case("leaderboard-filter-matches-nothing", ["leaderboard", "--task", "enhance"], 1,
         r"no stored results for task enhance"),
    Case("leaderboard-bench-home-is-a-file", ["leaderboard"], 1, r"BENCH_HOME={afile} is a file",
         env={"BENCH_HOME": "{afile}"}),
    # --- bench check
    Case("check-baseline-missing", ["check", "--baseline", "{missing}"], 1, r"{missing}: no such baseline file"),
    Case("check-baseline-directory", ["check", "--baseline", "{folder_json}"], 1, r"{folder_json}: is a directory"),
    Case("check-baseline-bad-json", ["check", "--baseline", "{bad_json}"], 1, r"{bad_json}: not valid JSON"),
    Case("check-baseline-empty-file", ["check", "--baseline", "{blank_json}"], 1, r"{blank_json}: (empty|not valid JSON)"),
    Case("check-baseline-is-a-list", ["check", "--baseline", "{list_json}"], 1,
         r"{list_json}: a baseline is a JSON object with an 'entries' list, not a list"),
    Case("check-baseline-bad-value", ["check", "--baseline", "{entry_value_json}"], 1,
         r"{entry_value_json}: entry 0 \(synthetic-portrait/static/psnr\): value 'abc' is not a number"),
    Case("check-baseline-entry-not-object", ["check", "--baseline", "{entry_not_object_json}"], 1,
         r"{entry_not_object_json}: entry 0 is not an object"),
    Case("check-baseline-bad-tolerance", ["check", "--baseline", "{tolerance_json}"], 1,
         r"{tolerance_json}: tolerance of 'psnr' .*'loose'"),
    Case("check-write-to-a-directory", ["check", "--baseline", "{folder}", "--write"], 1,
         r"--baseline {folder}: a directory; give a file name"),
    Case("check-write-in-missing-folder", ["check", "--baseline", "{missing}/b.json", "--write"], 1,
         r"--baseline {missing}/b.json: no such folder {missing}"),
    Case("check-write-empty-store", ["check", "--baseline", "{missing}.json", "--write"], 1,
         r"no stored smoke results to write", fresh_home=True, after=_absent("{missing}.json")),
    Case("check-write-unknown-task", ["check", "--baseline", "{missing}.json", "--write", "--task", "enhanse"], 1,
         _unknown("task", "enhanse", "enhance")),
    Case("check-against-empty-store", ["check", "--baseline", str(REPO / "reports" / "baselines" / "smoke.json")], 1,
         r"^missing .*no stored result: run it first", fresh_home=True),
    # --- bench data prepare
    Case("prepare-unknown-card", ["data", "prepare", "--card", "mayy", "--video", "{v25_mp4}"], 1,
         _unknown("dataset", "mayy", "may")),
    Case("prepare-generated-card", ["data", "prepare", "--card", "synthetic-portrait", "--video", "{v25_mp4}"], 1,
         r"card 'synthetic-portrait' is synthetic: it is generated, not prepared"),
    Case("prepare-video-missing", [*PREP, "--video", "{missing}"], 1, r"{missing}: no such file"),
    Case("prepare-video-directory", [*PREP, "--video", "{folder_mp4}"], 1, r"{folder_mp4}: is a directory, not a file"),
    Case("prepare-video-empty", [*PREP, "--video", "{empty_mp4}"], 1, r"{empty_mp4}: empty file"),
    Case("prepare-video-garbage", [*PREP, "--video", "{garbage_mp4}"], 1, r"{garbage_mp4}: cannot decode video"),
    Case("prepare-video-too-short", [*PREP, "--video", "{three_frames_mp4}", "--no-annotate"], 1,
         r"{three_frames_mp4}: 3 frames at 25 fps \(0.12 s\) is too short: .*at least 45 frames \(1.8 s\)"),
    Case("prepare-video-without-audio", [*PREP, "--video", "{prep_silent_video_mp4}", "--no-annotate"], 1,
         r"{prep_silent_video_mp4}: no audio stream; pass --audio FILE"),
    Case("prepare-audio-shorter", [*PREP, "--video", "{prep30_mp4}", "--audio", "{speech_wav}", "--no-annotate"], 1,
         r"{speech_wav}: audio is 1.00 s, shorter than the video's 2.00 s"),
    Case("prepare-audio-missing", [*PREP, "--video", "{prep30_mp4}", "--audio", "{missing}"], 1, r"{missing}: no such file"),
    Case("prepare-audio-directory", [*PREP, "--video", "{prep30_mp4}", "--audio", "{folder_wav}"], 1,
         r"{folder_wav}: is a directory, not a file"),
    Case("prepare-audio-garbage", [*PREP, "--video", "{prep30_mp4}", "--audio", "{garbage_wav}"], 1,
         r"{garbage_wav}: cannot decode audio"),
    Case("prepare-audio-nan", [*PREP, "--video", "{prep30_mp4}", "--audio", "{nan_wav}"], 1,
         r"{nan_wav}: .*NaN or infinite"),
    Case("prepare-no-face", [*PREP, "--video", "{noface_long_mp4}"], 1, r"{noface_long_mp4}.*no face found"),
    Case("prepare-frame-rate-converted", ["data", "prepare", "--card", "obama", "--video", "{prep30_mp4}", "--no-annotate"],
         0, r"note: {prep30_mp4}: 30 fps converted to 25 fps \(50 frames\)"),
    Case("prepare-audio-converted", ["data", "prepare", "--card", "macron", "--video", "{noface_long_mp4}", "--audio",
                                     "{long44k_stereo_wav}", "--no-annotate"], 0,
         r"note: {long44k_stereo_wav}: resampled 44100 Hz -> 16000 Hz"),
    Case("prepare-video-and-official-dir", [*PREP, "--video", "{v25_mp4}", "--official-dir", "{folder}"], 1,
         r"pass --video PATH or --official-dir DIR \(one of them\)"),
    Case("prepare-nothing-to-prepare-from", PREP, 1, r"pass --video PATH or --official-dir DIR"),
    Case("prepare-official-dir-missing", [*PREP, "--official-dir", "{missing}"], 1, r"{missing}: no such directory"),
    Case("prepare-official-dir-is-a-file", [*PREP, "--official-dir", "{afile}"], 1, r"{afile}: not a directory"),
    Case("prepare-for-unknown-method", [*PREP, "--video", "{v25_mp4}", "--for", "synctlk"], 1,
         _unknown("method", "synctlk", "synctalk")),
    Case("prepare-for-an-enhancer", [*PREP, "--video", "{v25_mp4}", "--for", "mss"], 1, r"--for mss: mss is not a video method"),
    Case("prepare-for-without-annotations", [*PREP, "--video", "{v25_mp4}", "--for", "er-nerf", "--no-annotate"], 1,
         r"--for er-nerf asks for annotations: drop --no-annotate"),
    Case("prepare-max-missing-above-one", [*PREP, "--video", "{v25_mp4}", "--max-missing", "1.5"], 1,
         r"--max-missing 1.5: .*in \[0, 1\]"),
    Case("prepare-max-missing-text", [*PREP, "--video", "{v25_mp4}", "--max-missing", "most"], 2, r"invalid float value: 'most'"),
    Case("prepare-focal-zero", [*PREP, "--video", "{v25_mp4}", "--focal", "0"], 1, r"--focal 0: .*> 0"),
    Case("prepare-focal-nan", [*PREP, "--video", "{v25_mp4}", "--focal", "nan"], 1, r"--focal nan: .*> 0"),
    Case("prepare-stabilizer-iters-negative", [*PREP, "--video", "{v25_mp4}", "--stabilizer-iters", "-4"], 1,
         r"--stabilizer-iters -4: .*>= 1"),
    Case("prepare-landmarks-unknown", [*PREP, "--video", "{v25_mp4}", "--landmarks", "dlib"], 1,
         r"unknown landmark backend 'dlib'"),
    Case("prepare-morphable-model-missing", [*PREP, "--video", "{v25_mp4}", "--morphable-model", "{missing}"], 1,
         r"{missing}: no such file"),
    Case("prepare-morphable-model-garbage", [*PREP, "--video", "{noface_long_mp4}", "--morphable-model", "{garbage_npy}"],
         1, r"{garbage_npy}: not a readable .npz"),
    Case("prepare-audio-features-missing", [*PREP, "--video", "{v25_mp4}", "--audio-features", "{missing}.npy"], 1,
         r"{missing}.npy: no such file"),
    Case("prepare-audio-features-garbage", [*PREP, "--video", "{noface_long_mp4}", "--audio-features", "{garbage_npy}"], 1,
         r"{garbage_npy}: not a numpy .npy array"),
    # --- bench data prepare --name (the user's own video), bench data list / remove
    Case("prepare-card-and-name", [*PREP, "--name", "mine", "--video", "{prep30_mp4}"], 1,
         r"pass --card NAME .* or --name NAME .*, one of them"),
    Case("prepare-neither-card-nor-name", ["data", "prepare", "--video", "{prep30_mp4}"], 1,
         r"pass --card NAME .* or --name NAME .*, one of them"),
    Case("prepare-name-of-a-shipped-card", [*OWN[:-1], "may", "--video", "{prep30_mp4}"], 1,
         r"--name may: a shipped dataset card has that name .*; choose another name"),
    Case("prepare-name-not-a-word", [*OWN[:-1], "../up", "--video", "{prep30_mp4}"], 1,
         r"--name '../up': use letters, digits, '-' and '_'"),
    Case("prepare-name-without-video", OWN, 1, r"--name mine prepares your own video: pass --video PATH"),
    Case("prepare-name-with-official-dir", [*OWN, "--official-dir", "{folder}"], 1,
         r"--name mine prepares your own video: pass --video PATH \(and not --official-dir / --path\)"),
    Case("prepare-fps-with-a-card", [*PREP, "--video", "{prep30_mp4}", "--fps", "30"], 1,
         r"--fps sets the frame rate of your own dataset \(--name\); card 'may' has its own \(25 fps\)"),
    Case("prepare-fps-zero", [*OWN, "--video", "{prep30_mp4}", "--fps", "0"], 1, r"--fps 0: must be a number in \(0, 120\]"),
    Case("prepare-fps-text", [*OWN, "--video", "{prep30_mp4}", "--fps", "fast"], 2, r"invalid float value: 'fast'"),
    Case("prepare-name-too-short", [*OWN, "--video", "{three_frames_mp4}", "--no-annotate"], 1,
         r"{three_frames_mp4}: 3 frames at 25 fps \(0.12 s\) is too short: .*at least 45 frames \(1.8 s\) at 25 fps",
         fresh_home=True, after=_no_own_card),
    Case("prepare-name-too-short-at-30-fps", [*OWN, "--video", "{three_frames_mp4}", "--fps", "30", "--no-annotate"], 1,
         r"{three_frames_mp4}: 3 frames .* needs at least 45 frames \(1.5 s\) at 30 fps", fresh_home=True),
    Case("prepare-name-frame-rate-converted", [*OWN, "--video", "{prep30_44k_mp4}", "--no-annotate"], 0,
         r"note: {prep30_44k_mp4}: 30 fps converted to 25 fps \(50 frames\): each frame is the source frame nearest in time",
         fresh_home=True),
    Case("prepare-name-audio-resampled", [*OWN, "--video", "{prep30_44k_mp4}", "--no-annotate"], 0,
         r"note: {prep30_44k_mp4}: resampled 44100 Hz -> 16000 Hz", fresh_home=True),
    Case("prepare-own-card-with-card", [*PREP[:-1], "mine", "--video", "{prep30_mp4}", "--no-annotate"], 1,
         r"card 'mine' is your own: bench data prepare --name mine --video PATH prepares it again", fresh_home=True,
         setup=_own_card),
    Case("data-remove-a-shipped-card", ["data", "remove", "may"], 1,
         r"may is a shipped dataset card: bench data remove deletes only your own cards"),
    Case("data-remove-unknown", ["data", "remove", "mayy"], 1, _unknown("dataset", "mayy", "may")),
    Case("data-list-with-a-broken-user-card", ["data", "list"], 0,
         r"note: .*cards/broken.toml: invalid dataset card .*; skipped \(bench data remove broken deletes it\)",
         fresh_home=True, setup=_broken_user_card),
    Case("data-remove-a-broken-user-card", ["data", "remove", "broken"], 0, r"^removed dataset broken: .*broken.toml",
         fresh_home=True, setup=_broken_user_card, after=lambda p, h: _absent(str(h / "cards" / "broken.toml"))(p, h)),
    Case("prepare-speech-corpus-without-path", ["data", "prepare", "--card", "voicebank-demand"], 1,
         r"card 'voicebank-demand' is a speech corpus: pass --path DIR"),
    Case("prepare-speech-corpus-path-is-a-file", ["data", "prepare", "--card", "voicebank-demand", "--path", "{afile}"], 1,
         r"--path {afile}: not a directory"),
    Case("prepare-bench-home-is-a-file", [*PREP, "--video", "{prep30_mp4}", "--no-annotate"], 1,
         r"BENCH_HOME={afile} is a file", env={"BENCH_HOME": "{afile}"}),
    # --- bench denoise
    Case("denoise-input-missing", ["denoise", "{missing}", "{missing}.out.wav"], 1, r"{missing}: no such file"),
    Case("denoise-input-directory", ["denoise", "{folder_wav}", "{missing}.out.wav"], 1,
         r"{folder_wav}: is a directory, not a file"),
    Case("denoise-input-garbage", ["denoise", "{garbage_wav}", "{missing}.out.wav"], 1, r"{garbage_wav}: cannot decode audio"),
    Case("denoise-input-empty", ["denoise", "{empty_wav}", "{missing}.out.wav"], 1, r"{empty_wav}: audio stream is empty"),
    Case("denoise-input-nan", ["denoise", "{nan_wav}", "{missing}.out.wav"], 1, r"{nan_wav}: .*NaN or infinite samples",
         after=_absent("{missing}.out.wav")),
    Case("denoise-input-inf", ["denoise", "{inf_wav}", "{missing}.out.wav"], 1, r"{inf_wav}: .*NaN or infinite samples",
         after=_absent("{missing}.out.wav")),
    Case("denoise-input-too-short", ["denoise", "{tiny_wav}", "{missing}.out.wav"], 1,
         r"{tiny_wav}: 80 samples \(0.005 s\).*at least"),
    Case("denoise-into-missing-folder", [*DENOISE, "{missing}/out.wav"], 1, r"{missing}/out.wav: no such folder {missing}"),
    Case("denoise-onto-its-input", [*DENOISE, "{speech_wav}"], 1,
         r"{speech_wav}: the output would overwrite the input", after=_unchanged("speech_wav")),
    Case("denoise-into-a-directory", [*DENOISE, "{folder}"], 1, r"{folder}: a directory; give a file name"),
    Case("denoise-unsupported-output", [*DENOISE, "{missing}.xyz"], 1, r"{missing}.xyz: unsupported audio file type '.xyz'"),
    Case("denoise-unknown-method", [*DENOISE, "{missing}.out.wav", "--method", "msss"], 1, _unknown("method", "msss", "mss")),
    Case("denoise-video-method", [*DENOISE, "{missing}.out.wav", "--method", "static"], 1,
         r"method 'static' is not a speech enhancer"),
    Case("denoise-set-text", [*DENOISE, "{missing}.out.wav", "--set", "alpha=abc"], 1, r"--set alpha=abc: 'abc' is not a number"),
    Case("denoise-set-nan", [*DENOISE, "{missing}.out.wav", "--set", "alpha=nan"], 1, r"--set alpha=nan: .*finite"),
    Case("denoise-set-negative", [*DENOISE, "{missing}.out.wav", "--set", "alpha=-1"], 1, r"alpha.*-1"),
    Case("denoise-set-typo", [*DENOISE, "{missing}.out.wav", "--set", "alpah=2"], 1,
         r"unknown config field 'alpah' for MSSConfig; did you mean alpha"),
    Case("denoise-set-enum", [*DENOISE, "{missing}.out.wav", "--set", "noise_from=middle"], 1,
         r"--set noise_from=middle: must be one of leading, quietest, minstat, vad"),
    Case("denoise-converts", ["denoise", "{speech44k_stereo_wav}", "{missing}.converted.wav"], 0,
         r"note: {speech44k_stereo_wav}: 2-channel audio downmixed to mono"),
    Case("denoise-channel-unknown", [*DENOISE, "{missing}.out.wav", "--channel", "middle"], 2,
         r"argument --channel: invalid choice: 'middle'"),
    Case("denoise-channel-each", ["denoise", "{speech44k_stereo_wav}", "{missing}.each.wav", "--channel", "each"], 0,
         r"note: {speech44k_stereo_wav}: 2-channel audio, each channel processed on its own"),
    Case("denoise-channel-right-of-mono", [*DENOISE, "{missing}.right.wav", "--channel", "right"], 0,
         r"note: {speech_wav}: mono audio, --channel right uses its one channel"),
    # --- bench weights
    Case("weights-unknown-action", ["weights", "remove"], 2, r"invalid choice: 'remove'"),
    Case("weights-install-without-name", [*INSTALL], 1, r"usage: bench weights install NAME --from PATH\|URL"),
    Case("weights-install-without-source", [*INSTALL, "syncnet_v2"], 1, r"usage: bench weights install NAME --from"),
    Case("weights-unknown-name", [*INSTALL, "syncnet", "--from", "{valid_pth}"], 1,
         r"unknown weights file 'syncnet'; did you mean 'syncnet_v2'"),
    Case("weights-from-missing", [*INSTALL, "syncnet_v2", "--from", "{missing}"], 1, r"{missing}: no such file",
         fresh_home=True, after=_not_installed("syncnet_v2")),
    Case("weights-from-directory", [*INSTALL, "syncnet_v2", "--from", "{folder_pth}"], 1,
         r"{folder_pth}: is a directory, not a file", fresh_home=True, after=_not_installed("syncnet_v2")),
    Case("weights-garbage", [*INSTALL, "syncnet_v2", "--from", "{garbage_pth}"], 1,
         r"{garbage_pth}: not a loadable tensor file", fresh_home=True, after=_not_installed("syncnet_v2")),
    Case("weights-empty-file", [*INSTALL, "sfd_face", "--from", "{empty_pth}"], 1, r"{empty_pth}: empty file",
         fresh_home=True, after=_not_installed("sfd_face")),
    Case("weights-truncated", [*INSTALL, "sfd_face", "--from", "{truncated_pth}"], 1,
         r"{truncated_pth}: not a loadable tensor file", fresh_home=True, after=_not_installed("sfd_face")),
    Case("weights-pickled-module", [*INSTALL, "syncnet_v2", "--from", "{module_pth}"], 1,
         r"{module_pth}: not a loadable tensor file \(its pickle asks for torch.nn.modules.linear.Linear", fresh_home=True, after=_not_installed("syncnet_v2")),
    Case("weights-pickle-that-runs-code", [*INSTALL, "syncnet_v2", "--from", "{evil_torch_pth}"], 1,
         r"{evil_torch_pth}: not a loadable tensor file \(its pickle asks for posix.mkdir", fresh_home=True,
         after=lambda p, h: (_no_marker("pwned_torch")(p, h), _not_installed("syncnet_v2")(p, h))),
    Case("weights-raw-pickle-that-runs-code", [*INSTALL, "sfd_face", "--from", "{evil_raw_pth}"], 1,
         r"{evil_raw_pth}: not a loadable tensor file", fresh_home=True,
         after=lambda p, h: (_no_marker("pwned_raw")(p, h), _not_installed("sfd_face")(p, h))),
    Case("weights-stated-sha-mismatch", [*INSTALL, "syncnet_v2", "--from", "{valid_pth}", "--sha256", "0" * 64], 1,
         r"{valid_pth}: sha256 [0-9a-f]+… does not match", fresh_home=True, after=_not_installed("syncnet_v2")),
    Case("weights-stated-sha-not-hex", [*INSTALL, "syncnet_v2", "--from", "{valid_pth}", "--sha256", "xyz"], 1,
         r"--sha256 xyz: not a sha256", fresh_home=True, after=_not_installed("syncnet_v2")),
    Case("weights-published-prefix-mismatch", [*INSTALL, "alexnet", "--from", "{valid_pth}"], 1,
         r"{valid_pth}: sha256 [0-9a-f]+… does not match alexnet's expected 7be5be79", fresh_home=True,
         after=_not_installed("alexnet")),
    Case("weights-snapshot-from-a-file", [*INSTALL, "hubert_large_ls960_ft", "--from", "{valid_pth}"], 1,
         r"{valid_pth}: not a directory", fresh_home=True),
    Case("weights-snapshot-incomplete", [*INSTALL, "hubert_large_ls960_ft", "--from", "{snapshot}"], 1,
         r"{snapshot}: not a complete hubert_large_ls960_ft snapshot, missing preprocessor_config.json", fresh_home=True),
    Case("weights-task-bundle-garbage", [*INSTALL, "face_landmarker", "--from", "{garbage_pth}"], 1,
         r"{garbage_pth}: not a MediaPipe .task bundle", fresh_home=True, after=_not_installed("face_landmarker")),
    Case("weights-unreachable-url", [*INSTALL, "syncnet_v2", "--from", "http://127.0.0.1:9/syncnet_v2.model"], 1,
         r"could not download http://127.0.0.1:9/syncnet_v2.model", fresh_home=True),
    Case("weights-status-with-damaged-pins", ["weights", "status"], 1, r"pins.json: unreadable weights pins",
         fresh_home=True, setup=_garbage_pins),
    Case("weights-bfm-garbage", [*INSTALL, "bfm2009_3dmm", "--from", "{garbage_npy}"], 1,
         r"keys_info.npy: no such file .*put it next to garbage.npy", fresh_home=True,
         after=_not_installed("bfm2009_3dmm")),
    Case("weights-bfm-garbage-pair", [*INSTALL, "bfm2009_3dmm", "--from", "{bfm}/3DMM_info.npy"], 1,
         r"{bfm}/3DMM_info.npy: not a numpy file holding a dict of arrays", fresh_home=True, after=_not_installed("bfm2009_3dmm")),
    Case("weights-reinstall-keeps-the-good-file", [*INSTALL, "syncnet_v2", "--from", "{garbage_pth}"], 1,
         r"{garbage_pth}: not a loadable tensor file", fresh_home=True, setup=_install("syncnet_v2", "valid_pth"),
         after=_installed("syncnet_v2")),
    Case("weights-home-is-a-file", ["weights", "status"], 1, r"BENCH_HOME={afile} is a file", env={"BENCH_HOME": "{afile}"}),
]


def _fill(text: str, paths: dict[str, Path]) -> str:
    return text.format(**{k: str(v) for k, v in paths.items()})


def _pattern(text: str, paths: dict[str, Path]) -> str:
    return text.format(**{k: re.escape(str(v)) for k, v in paths.items()})


def test_the_battery_has_at_least_100_distinct_cases() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 100, len(ids)
    commands = {c.argv[0] if c.argv[0] != "data" else "data prepare" for c in CASES if c.argv}
    assert commands == {"list", "run", "score", "leaderboard", "check", "data prepare", "denoise", "weights"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, battery: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    paths, home = battery["paths"], battery["home"]
    before = stored_state(home)
    case_home = tmp_path / "home" if case.fresh_home else home
    monkeypatch.setenv("BENCH_HOME", str(case_home))
    for key, value in case.env.items():
        monkeypatch.setenv(key, _fill(value, paths))
    if case.setup is not None:
        case_home.mkdir(parents=True, exist_ok=True)
        case.setup(paths, case_home)
    try:
        code = main([_fill(a, paths) for a in case.argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text, text
    pattern = _pattern(case.pattern, paths)
    assert any(re.search(pattern, line) for line in text.splitlines()), f"no line matches {pattern!r}:\n{text}"
    assert code == case.code, f"exit {code}, expected {case.code}:\n{text}"
    if case.code:
        errors = [line for line in err.splitlines() if line.startswith(("bench: error:", "bench ", "usage:"))]
        assert errors or "FAIL" in out, f"no error line on stderr:\n{text}"
    if case.after is not None:
        case.after(paths, case_home)
    assert stored_state(home) == before, "a stored result changed"
    for marker in ("pwned_torch", "pwned_raw"):
        assert not (paths["v25_mp4"].parent / marker).exists(), "a pickle ran code"
    shutil.rmtree(tmp_path / "home", ignore_errors=True)
