"""Cache keys from the code a stage imports: the closure of first-party imports, not a hand-written list."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from talkbench.infra.hashing import code_version, import_closure, stable_hash

ROOT = Path(__file__).resolve().parents[2]


def test_stable_hash_ignores_dict_order() -> None:
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1}) != stable_hash({"a": 2})


def test_closure_follows_lazy_and_from_imports_without_running_them() -> None:
    """SyncTalk's lip features come from SyncNet's audio tower (a lazy import inside the extractor); ER-NeRF's closure
    reaches no SyncTalk or WildTalker module; computing it imports nothing heavy."""
    import talkbench.zoo.syncnet as syncnet_loader

    syncnet_file = Path(inspect.getsourcefile(syncnet_loader.load_syncnet))
    synctalk = import_closure("talkbench.methods.synctalk.method")
    er_nerf = import_closure("talkbench.methods.er_nerf.method")
    assert syncnet_file in set(synctalk.values())
    assert "talkbench.methods.wildtalker.temporal_mask" not in er_nerf
    assert not [m for m in er_nerf if m.startswith(("talkbench.methods.synctalk", "talkbench.methods.wildtalker"))]
    assert not [m for m in er_nerf if m.startswith(("talkbench.harness", "talkbench.cli", "talkbench.report"))]
    assert "talkbench.methods.nerf.trainer" in er_nerf and "talkbench" in er_nerf  # packages' __init__ run too


def _staged_versions(tmp_path: Path, edits: dict[str, str]) -> dict[str, str]:
    """code_version of four methods in a staged copy of the package after appending `edits` to files."""
    stage = tmp_path / "stage" / "talkbench"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "bench", stage, ignore=ignore)
    shutil.copytree(ROOT / "methods", stage / "methods", ignore=ignore)
    shutil.copytree(ROOT / "metrics", stage / "metrics", ignore=ignore)
    for rel, text in edits.items():
        with open(stage / rel, "a") as f:
            f.write(text)
    script = ("import json, sys\n"
              "from talkbench.infra.hashing import code_version\n"
              "names = {'er-nerf': 'talkbench.methods.er_nerf.method', 'synctalk': 'talkbench.methods.synctalk.method',\n"
              "         'wildtalker': 'talkbench.methods.wildtalker.method', 'static': 'talkbench.methods.baselines.static'}\n"
              "assert sys.modules.get('talkbench') is None or sys.modules['talkbench'].__file__.startswith(sys.argv[1])\n"
              "print(json.dumps({k: code_version(v) for k, v in names.items()}))\n")
    out = subprocess.run([sys.executable, "-c", script, str(stage)], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(stage.parent), "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    import json

    return json.loads(out.stdout)


@pytest.mark.slow
def test_editing_code_retrains_exactly_its_users(tmp_path: Path) -> None:
    """Editing the SyncNet loader retrains SyncTalk and WildTalker (their lip encoder) but not the static baseline;
    editing WildTalker's temporal mask retrains WildTalker only; editing a metric retrains nothing. (ER-NeRF retrains
    on a SyncNet edit too: every NeRF may be configured with any audio extractor, `--set audio_features=syncnet`.)"""
    base = _staged_versions(tmp_path / "a", {})
    syncnet = _staged_versions(tmp_path / "b", {"zoo/syncnet.py": "\n# edited\n"})
    mask = _staged_versions(tmp_path / "c", {"methods/wildtalker/temporal_mask.py": "\n# edited\n"})
    metric = _staged_versions(tmp_path / "d", {"metrics/sync/scoring.py": "\n# edited\n"})
    assert syncnet["synctalk"] != base["synctalk"] and syncnet["wildtalker"] != base["wildtalker"]
    assert syncnet["static"] == base["static"]
    assert mask["wildtalker"] != base["wildtalker"]
    assert mask["er-nerf"] == base["er-nerf"] and mask["synctalk"] == base["synctalk"]
    assert metric == base


@pytest.mark.slow
def test_code_version_is_path_independent(tmp_path: Path) -> None:
    """Two copies of the same code in different folders give the same key (module names, not paths, are hashed)."""
    first = _staged_versions(tmp_path / "x", {})
    second = _staged_versions(tmp_path / "somewhere" / "else", {})
    assert first == second
    assert code_version("talkbench.methods.er_nerf.method") == code_version("talkbench.methods.er_nerf.method")
