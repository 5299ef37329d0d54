"""The weights registry: published and pinned hashes, refusals, the safe loader, `bench weights`, and the entries found
through the `talkbench.weights` entry points."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from talkbench.infra import weights
from talkbench.core.errors import BenchError, WeightsMissing


def _state_file(path: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    torch.save({"w": torch.randn(4, 3), "b": torch.zeros(3)}, path)
    return path


def test_every_entry_names_its_source_licence_and_user() -> None:
    for name in ("alexnet", "vgg16", "syncnet_v2", "sfd_face", "fan_s3fd", "fan_2dfan4", "bisenet_face_parsing"):
        entry = weights.get_entry(name)
        assert entry.url.startswith("http") and entry.licence and entry.used_by
        assert f"bench weights install {name}" in entry.install_hint()
    with pytest.raises(BenchError, match="did you mean"):
        weights.get_entry("syncnet")


def test_unpublished_hash_is_pinned_at_install_and_checked_afterwards(bench_home: Path, tmp_path: Path) -> None:
    src = _state_file(tmp_path / "syncnet_v2.model")
    assert weights.status("syncnet_v2")[0] == "missing"
    with pytest.raises(WeightsMissing, match="bench weights install syncnet_v2"):
        weights.require("syncnet_v2")
    weights.install("syncnet_v2", str(src))
    state, detail = weights.status("syncnet_v2")
    assert state == "installed" and "pinned at install" in detail
    assert set(weights.load_state_dict("syncnet_v2")) == {"w", "b"}
    _state_file(weights.get_entry("syncnet_v2").path, seed=1)  # swapped behind the registry's back
    assert weights.status("syncnet_v2")[0] == "bad-hash"
    with pytest.raises(WeightsMissing, match="refusing"):
        weights.require("syncnet_v2")


def test_stated_sha256_must_match(bench_home: Path, tmp_path: Path) -> None:
    src = _state_file(tmp_path / "sfd_face.pth")
    with pytest.raises(BenchError, match="does not match"):
        weights.install("sfd_face", str(src), sha256="0" * 64)
    assert not weights.get_entry("sfd_face").path.exists()
    weights.install("sfd_face", str(src), sha256=weights.sha256_of(src))
    assert weights.status("sfd_face")[0] == "installed"


def test_a_file_copied_in_by_hand_without_a_pin_is_refused(bench_home: Path, tmp_path: Path) -> None:
    dest = weights.get_entry("sfd_face").path
    dest.parent.mkdir(parents=True, exist_ok=True)
    _state_file(dest)
    assert weights.status("sfd_face")[0] == "unverified"
    with pytest.raises(WeightsMissing, match="bench weights install sfd_face"):
        weights.require("sfd_face")


def test_published_prefix_is_enforced(bench_home: Path, tmp_path: Path) -> None:
    src = _state_file(tmp_path / "s3fd-619a316812.pth")
    with pytest.raises(BenchError, match="619a316812"):
        weights.install("fan_s3fd", str(src))


class _Evil:
    """Unpickling this creates the folder `marker` (any code a pickle may run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # noqa: ANN204
        import os

        return (os.mkdir, (self.marker,))


def test_install_refuses_what_is_not_a_tensor_file_without_running_it(bench_home: Path, tmp_path: Path) -> None:
    """Trust on first install pins only files that load as tensors with weights_only: a pickle never waits for its
    first load, where a pinned (or 8-hex-prefix-matching) file would otherwise be trusted."""
    module, evil, garbage = tmp_path / "module.pt", tmp_path / "evil.pth", tmp_path / "garbage.pth"
    torch.save(torch.nn.Linear(2, 2), module)  # a pickled module, not a state dict: code would run on load
    torch.save({"w": _Evil(tmp_path / "pwned")}, evil)
    garbage.write_bytes(bytes(range(256)) * 8)
    for src in (module, evil, garbage):
        with pytest.raises(BenchError, match=f"{src}: not a loadable tensor file.*not installed"):
            weights.install("syncnet_v2", str(src))
        assert weights.status("syncnet_v2")[0] == "missing" and "syncnet_v2" not in weights._read_pins()
    assert not (tmp_path / "pwned").exists()
    assert not list(weights.get_entry("syncnet_v2").path.parent.glob("*.part"))
    weights.install("syncnet_v2", str(_state_file(tmp_path / "ok.model")))  # a state dict installs
    assert weights.status("syncnet_v2")[0] == "installed"
    with pytest.raises(BenchError, match="not a loadable tensor file"):  # a bad reinstall keeps the good file
        weights.install("syncnet_v2", str(garbage))
    assert set(weights.load_state_dict("syncnet_v2")) == {"w", "b"}


def test_install_checks_the_other_formats(bench_home: Path, tmp_path: Path) -> None:
    import zipfile

    garbage = tmp_path / "face_landmarker.task"
    garbage.write_bytes(b"not a zip" * 10)
    with pytest.raises(BenchError, match="not a MediaPipe .task bundle"):
        weights.install("face_landmarker", str(garbage))
    bundle = tmp_path / "bundle.task"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("face_landmarks_detector.tflite", b"TFL3")
    weights.install("face_landmarker", str(bundle))
    assert weights.status("face_landmarker")[0] == "installed"
    with zipfile.ZipFile(tmp_path / "graph.pb.zip", "w") as zf:
        zf.writestr("deepspeech-0_1_0-b90017e8.pb", b"graph")
    with pytest.raises(BenchError, match="a zip archive, not the frozen graph"):
        weights.install("deepspeech_0_1_0", str(tmp_path / "graph.pb.zip"))


def test_snapshot_weights_must_load_without_code(bench_home: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    for name in weights.SNAPSHOT_REQUIRED:
        (snapshot / name).write_text("{}")
    torch.save({"w": _Evil(tmp_path / "pwned")}, snapshot / "pytorch_model.bin")
    with pytest.raises(BenchError, match="pytorch_model.bin: not a loadable tensor file"):
        weights.install("hubert_large_ls960_ft", str(snapshot))
    assert not (tmp_path / "pwned").exists() and weights.status("hubert_large_ls960_ft")[0] == "missing"


def test_safe_loader_refuses_pickled_objects_and_corrupt_files(bench_home: Path, tmp_path: Path) -> None:
    """A file put in place by hand under a pin (install refuses it) is still refused at load, never unpickled."""
    dest = weights.get_entry("syncnet_v2").path
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save(torch.nn.Linear(2, 2), dest)
    weights._write_pin("syncnet_v2", weights.sha256_of(dest))
    with pytest.raises(WeightsMissing, match="not a loadable tensor file"):
        weights.load_state_dict("syncnet_v2")
    dest.write_bytes(_state_file(tmp_path / "ok.model").read_bytes()[:100])
    weights._write_pin("syncnet_v2", weights.sha256_of(dest))
    weights.forget_verified()
    with pytest.raises(WeightsMissing, match="syncnet_v2.model"):
        weights.load_state_dict("syncnet_v2")


def test_cli_status_and_install(bench_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.cli.main import main

    assert main(["weights", "install", "sfd_face", "--from", str(_state_file(tmp_path / "f.pth"))]) == 0
    assert "pinned at install" in capsys.readouterr().out
    assert main(["weights", "status"]) == 0
    out = capsys.readouterr().out
    assert "sfd_face    installed" in out and "syncnet_v2  missing" in out
    assert "install: bench weights install syncnet_v2 --from http://www.robots.ox.ac.uk" in out


# ----------------------------------------------------------------------------- the registry of entries


def test_entries_come_from_the_entry_points_and_live_in_the_zoo() -> None:
    from importlib.metadata import entry_points

    declared = {ep.name: ep.value for ep in entry_points(group="talkbench.weights")}
    assert sorted(declared) == weights.ENTRIES.names() == [name for name, _ in weights.ENTRIES.items()]
    assert len(weights.ENTRIES) == len(declared) >= 11
    for name, target in declared.items():
        entry = weights.get_entry(name)
        assert target.startswith("talkbench.zoo.") and entry.name == name and isinstance(entry, weights.WeightsEntry)
    assert weights.ENTRIES.values() == [weights.ENTRIES[name] for name in weights.ENTRIES.names()]


def test_entries_behave_as_a_mapping_for_callers_and_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    original = weights.ENTRIES["sfd_face"]
    with pytest.raises(KeyError):
        weights.ENTRIES["no_such_file"]
    assert weights.ENTRIES.get("no_such_file", None) is None and "sfd_face" in weights.ENTRIES
    changed = dataclasses.replace(original, sha256="ab" * 32)
    with monkeypatch.context() as mp:
        mp.setitem(weights.ENTRIES, "sfd_face", changed)
        assert weights.get_entry("sfd_face") is changed and weights.expected_sha256("sfd_face") == ("ab" * 32, "published")
        mp.setitem(weights.ENTRIES, "extra_file", dataclasses.replace(original, name="extra_file"))
        assert "extra_file" in weights.ENTRIES.names()
    assert weights.get_entry("sfd_face") is original and "extra_file" not in weights.ENTRIES
    with pytest.raises(BenchError, match="declares name 'sfd_face'"):
        weights.ENTRIES["other_name"] = original
