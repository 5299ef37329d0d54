"""Registry of pretrained files: name, expected sha256, source, licence, cache path. Never downloads silently.

This module is the mechanics only (entries, pins, hashing, install, status, the safe loader); the entries themselves
are declared by the networks that use them, in `talkbench.zoo`, and found through the `talkbench.weights` entry points.

An entry is one file, or (`snapshot=True`) a Hugging Face model snapshot directory installed
from a local download and checked as one digest over its files (`snapshot_sha256`)."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError, WeightsMissing
from talkbench.core.registry import Registry
from talkbench.infra.atomic import atomic_write_text, discard, temp_sibling
from talkbench.infra.cache_entry import lock_for
from talkbench.infra.paths import input_file, weights_dir


@dataclass(frozen=True)
class WeightsEntry:
    """One pretrained file talkbench knows about."""

    name: str
    filename: str
    sha256: str
    """Expected SHA-256 (hex). Shorter than 64 characters means a published prefix (torchvision's
    file names carry only the first 8 hex digits of the hash; that is all that is published)."""
    url: str
    licence: str
    used_by: str
    subdir: str = ""
    """Sub-directory of the weights cache (torchvision files live under torch_hub/checkpoints)."""
    snapshot: bool = False
    """True for a Hugging Face model snapshot: `filename` is then a directory holding the files of
    `SNAPSHOT_FILES` that the source has, installed from a local directory and hashed together."""
    note: str = ""
    """When the download is not the file itself (an archive): what to do before installing the file."""
    convert: str = ""
    """"module:function" turning the user's local file into the installed one (`function(src, dst)`), for
    files talkbench must not ship in their original form; the converted file is what gets pinned."""
    source_file: str = ""
    """Name of the file the user installs from, when it differs from `filename` (a converted entry)."""
    format: str = "torch"
    """What the file is, checked at install before it is kept (`FORMATS`): "torch" (a state dict that loads with
    `torch.load(weights_only=True)`), "mediapipe-task" (a zip of TFLite models) or "tf-graph" (a frozen GraphDef)."""

    @property
    def path(self) -> Path:
        """Where the file (or snapshot directory) lives once installed."""
        return weights_dir() / self.subdir / self.filename

    def install_hint(self) -> str:
        """The command that installs this file."""
        if self.snapshot:
            # A snapshot is several files: downloading is the user's explicit step, installing copies it.
            repo = self.url.removeprefix("https://huggingface.co/")
            return (f"download the snapshot {self.url} (e.g. `hf download {repo} --local-dir DIR`, "
                    f"`huggingface-cli download` in older huggingface_hub), then: bench weights install {self.name} --from DIR")
        if self.note:  # the download is not the file itself (an archive): say what to do first
            return f"{self.note}, then: bench weights install {self.name} --from PATH/{self.source_file or self.filename}"
        return f"bench weights install {self.name} --from {self.url} (or --from a local copy of {self.filename})"


TORCH_HUB = "torch_hub/checkpoints"
UNPUBLISHED = ""
"""`sha256` of an entry whose publisher gives no checksum: the hash is pinned when the file is
installed (`--sha256 HEX` to state it, otherwise trust on first install) and checked on every load."""

SNAPSHOT_REQUIRED = ("config.json", "preprocessor_config.json")
"""Files a snapshot directory must have (the model's and the feature extractor's configs)."""
SNAPSHOT_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
"""A snapshot's weights, in the order transformers prefers them; only the first one present is copied."""
SNAPSHOT_EXTRA = ("vocab.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
"""Tokenizer files copied when present (a CTC model's processor needs them; features do not)."""
SNAPSHOT_FILES = SNAPSHOT_REQUIRED + SNAPSHOT_WEIGHTS + SNAPSHOT_EXTRA
"""Everything a snapshot entry installs and hashes; other files of a download (README, TF/Flax
weights, the hub's .cache folder with download times) are left out so the digest is reproducible."""


class WeightsRegistry(Registry[WeightsEntry]):
    """The weights entries by name, also usable as a mutable mapping (`ENTRIES[name]`, `ENTRIES.items()`, and pytest's
    `monkeypatch.setitem`, which tests use to expect another hash), so callers that iterate or index keep working."""

    def _check(self, name: str, obj: object) -> None:
        super()._check(name, obj)
        if isinstance(obj, WeightsEntry) and obj.name != name:  # the name keys pins and install hints: one spelling
            raise BenchError(f"{self.kind} registered as {name!r} declares name {obj.name!r}")

    def get(self, name: str, *default: Any) -> Any:  # type: ignore[override]
        """The entry called `name`; with a default, that default for an unknown name (as `dict.get`), otherwise
        UnknownNameError with close matches."""
        if default and name not in self:
            return default[0]
        return super().get(name)

    def __getitem__(self, name: str) -> WeightsEntry:
        if name not in self:
            raise KeyError(name)
        return super().get(name)

    def __setitem__(self, name: str, entry: WeightsEntry) -> None:
        self._discover()  # a later discovery must not bring the replaced entry back
        self._check(name, entry)
        self._objects[name] = entry
        self._lazy.pop(name, None)

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self.unregister(name)

    def __len__(self) -> int:
        return len(self.names())

    def items(self) -> list[tuple[str, WeightsEntry]]:
        """(name, entry) of every entry, sorted by name (imports each entry's zoo module)."""
        return [(name, self[name]) for name in self.names()]

    def values(self) -> list[WeightsEntry]:
        """Every entry, sorted by name."""
        return [entry for _, entry in self.items()]


ENTRIES = WeightsRegistry("weights file", base_cls=WeightsEntry, group="talkbench.weights")
"""Every pretrained file talkbench knows about. Each is declared next to its loader in `talkbench.zoo` (one module per
network) and listed in the `talkbench.weights` entry-point group of pyproject.toml, read on first use: infra never
imports the zoo, and an installed package can add files the same way."""


def pins_path() -> Path:
    """JSON file of the sha256 pinned at install for entries without a published hash."""
    return weights_dir() / "pins.json"


def _read_pins() -> dict[str, str]:
    path = pins_path()
    if not path.exists():
        return {}
    try:
        return {str(k): str(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path}: unreadable weights pins ({exc}); delete it and reinstall the unpublished files") from exc


def _write_pin(name: str, digest: str) -> None:
    path = pins_path()
    with lock_for(path):  # read-modify-write: two installs at once must not drop each other's pin
        pins = _read_pins()
        pins[name] = digest
        atomic_write_text(path, json.dumps(pins, indent=1, sort_keys=True))


def expected_sha256(name: str) -> tuple[str, str]:
    """(expected hash or prefix, where it comes from: 'published' | 'published prefix' | 'pinned at install' | 'none')."""
    entry = get_entry(name)
    if entry.sha256:
        return entry.sha256, "published" if len(entry.sha256) == 64 else "published prefix"
    pinned = _read_pins().get(name, "")
    return pinned, "pinned at install" if pinned else "none"


def get_entry(name: str) -> WeightsEntry:
    """The registry entry for `name`, with "did you mean" on a typo."""
    return ENTRIES.get(name)


def sha256_of(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_matches(actual: str, expected: str) -> bool:
    """True when `actual` equals `expected`, or starts with it when only a prefix is published."""
    return actual.lower().startswith(expected.lower())


_HASHES: dict[tuple[str, int, int], str] = {}
"""SHA-256 of files already hashed in this process, by (path, size, mtime_ns): weights are
hundreds of MB, and status/require run once per job and per model load."""
_HASHES_LOCK = threading.Lock()


def _cached_sha256(path: Path) -> str:
    """sha256_of(path), computed once per process while the file's size and mtime are unchanged."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _HASHES_LOCK:
        if key not in _HASHES:
            _HASHES[key] = sha256_of(path)
        return _HASHES[key]


def snapshot_files(directory: Path) -> list[str]:
    """The files of `SNAPSHOT_FILES` a snapshot directory has: configs, the preferred weights file, tokenizer files."""
    present = [n for n in SNAPSHOT_FILES if (directory / n).is_file()]
    weights = [n for n in SNAPSHOT_WEIGHTS if n in present]
    # transformers loads the first weights file it finds; a second one would be dead weight and
    # would let a swapped, unused file change the digest
    return [n for n in present if n not in weights[1:]]


def snapshot_sha256(directory: Path) -> str:
    """One SHA-256 over a snapshot directory: of the lines "NAME SHA256" of its `snapshot_files`, sorted."""
    lines = "".join(f"{n} {_cached_sha256(directory / n)}\n" for n in sorted(snapshot_files(directory)))
    return hashlib.sha256(lines.encode()).hexdigest()


def _installed_sha256(entry: WeightsEntry) -> str:
    """SHA-256 of the installed file, or the snapshot digest of an installed directory."""
    return snapshot_sha256(entry.path) if entry.snapshot else _cached_sha256(entry.path)


def status(name: str) -> tuple[str, str]:
    """('installed' | 'missing' | 'bad-hash' | 'unverified', detail) for one entry."""
    entry = get_entry(name)
    expected, origin = expected_sha256(name)  # first: damaged pins are said even while this entry is missing
    if not (entry.path.is_dir() if entry.snapshot else entry.path.exists()):
        return "missing", str(entry.path)
    if not expected:
        return "unverified", f"{entry.path} has no pinned sha256 (copied in by hand?); reinstall it with bench weights install"
    actual = _installed_sha256(entry)
    if not hash_matches(actual, expected):
        return "bad-hash", f"{entry.path}: sha256 {actual[:16]}… expected {expected} ({origin})"
    return "installed", f"{entry.path} (sha256 {actual[:12]}…, {origin})"


def require(name: str) -> Path:
    """Path of an installed, checksum-verified file; WeightsMissing (with the install command) otherwise."""
    entry = get_entry(name)
    state, detail = status(name)
    if state == "missing":
        raise WeightsMissing(
            f"{entry.filename} not installed (needed by {entry.used_by}); install it with: {entry.install_hint()}"
        )
    if state in ("bad-hash", "unverified"):
        raise WeightsMissing(f"refusing {detail}; reinstall with: {entry.install_hint()}")
    return entry.path


def verified(name: str) -> tuple[Path, str]:
    """(path, full sha256) of an installed, checked file or snapshot; WeightsMissing (with the install command) otherwise."""
    path = require(name)
    return path, _installed_sha256(get_entry(name))


def forget_verified() -> None:
    """Forget the remembered file hashes (tests, or after replacing a file in place)."""
    with _HASHES_LOCK:
        _HASHES.clear()


def load_state_dict(name: str, map_location: str = "cpu") -> dict[str, Any]:
    """The verified file of `name` loaded with `torch.load(weights_only=True)`: tensors only, no code runs.

    A file that does not unpickle as plain tensors (corrupt, truncated, or a pickled module)
    is refused with a one-line error naming the file.
    """
    import torch

    path = require(name)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file; all mean "refuse it"
        raise WeightsMissing(f"{path}: not a loadable tensor file ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
                             f"reinstall with: {get_entry(name).install_hint()}") from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsMissing(f"{path}: expected a state dict of tensors, got {type(state).__name__}")
    return dict(state)


FORMATS = ("torch", "mediapipe-task", "tf-graph")
"""The file formats `install` checks (`WeightsEntry.format`)."""


def check_loadable(entry: WeightsEntry, path: Path, source: str) -> None:
    """Refuse (BenchError naming `source`) a file that is not a loadable file of `entry.format`, without running any
    of its code: a pickle could otherwise wait, with a matching 8-digit hash prefix or a trusted-on-first-install
    pin, for the first load."""
    if path.stat().st_size == 0:
        raise BenchError(f"{source}: empty file; not installed")
    if entry.format == "torch":
        check_state_dict_file(path, source)
    elif entry.format == "mediapipe-task":
        import zipfile

        if not zipfile.is_zipfile(path) or not any(n.endswith(".tflite") for n in zipfile.ZipFile(path).namelist()):
            raise BenchError(f"{source}: not a MediaPipe .task bundle (a zip of .tflite models); not installed")
    elif entry.format == "tf-graph":
        _check_graph_file(path, source)
    else:
        raise BenchError(f"weights entry {entry.name}: unknown format {entry.format!r} (one of {', '.join(FORMATS)})")


def check_state_dict_file(path: Path, source: str) -> None:
    """Refuse a file that `torch.load(weights_only=True)` does not read as a (possibly wrapped) dict of tensors."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file; all mean "refuse it"
        raise BenchError(f"{source}: not a loadable tensor file ({_why(exc)}); not installed (weights are read with "
                         "torch.load(weights_only=True), which runs no pickled code)") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise BenchError(f"{source}: not a loadable tensor file (a {type(state).__name__}, not a state dict of tensors); "
                         "not installed")


def _why(exc: Exception) -> str:
    """The useful part of torch.load's error: the global a pickle asked for, the opcode it stopped at, or line one."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    wanted = re.search(r"GLOBAL ([\w.]+)", text)
    if wanted:
        return f"its pickle asks for {wanted.group(1)}, code that a weights file has no reason to run"
    stopped = re.search(r"(Unsupported operand \d+|invalid load key[^\n]*)", text)
    if stopped:
        return f"not a torch file: unpickling stopped at {stopped.group(1)}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0][:120] if lines else ''}"


def _check_graph_file(path: Path, source: str) -> None:
    """A frozen TensorFlow graph parses as a GraphDef (checked when TensorFlow is installed; otherwise at first use)."""
    import importlib.util
    import zipfile

    if zipfile.is_zipfile(path):
        raise BenchError(f"{source}: a zip archive, not the frozen graph (.pb): unzip it first; not installed")
    if importlib.util.find_spec("tensorflow") is None:
        return
    import tensorflow as tf

    try:
        tf.compat.v1.GraphDef().ParseFromString(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError and friends
        raise BenchError(f"{source}: not a frozen TensorFlow graph ({type(exc).__name__}); not installed") from None


def check_snapshot_weights(directory: Path, source: str) -> None:
    """A snapshot's weights file loads without running code: safetensors by construction (its header is parsed
    here), pytorch_model.bin with `torch.load(weights_only=True)` (transformers loads it the same way)."""
    if (directory / "model.safetensors").is_file():
        from safetensors import safe_open

        try:
            with safe_open(str(directory / "model.safetensors"), framework="pt") as fh:
                fh.keys()
        except Exception as exc:  # noqa: BLE001 - a corrupt header fails in several ways
            raise BenchError(f"{source}/model.safetensors: not a readable safetensors file ({exc}); not installed") from None
    elif (directory / "pytorch_model.bin").is_file():
        check_state_dict_file(directory / "pytorch_model.bin", f"{source}/pytorch_model.bin")


def install(name: str, source: str, sha256: str | None = None) -> Path:
    """Copy (local path) or download (URL, only on this explicit request) a file, verify, and cache it.

    Entries with a published hash are checked against it. For the others the caller may state
    the hash (`sha256`); otherwise the installed file's hash is pinned (trust on first install)
    and every later load is checked against the pin.
    """
    entry = get_entry(name)
    if entry.snapshot:
        return _install_snapshot(entry, source, sha256)
    if entry.convert:
        return _install_converted(entry, source, sha256)
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(entry.path, ".part")
    if "://" in source:
        try:
            with urllib.request.urlopen(source, timeout=60) as resp, open(tmp, "wb") as out:
                shutil.copyfileobj(resp, out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise BenchError(f"could not download {source}: {exc}; download it elsewhere and use --from PATH") from exc
    else:
        shutil.copyfile(input_file(source), tmp)
    try:
        actual = sha256_of(tmp)
        expected = entry.sha256 or (sha256 or "").lower()
        if expected and not hash_matches(actual, expected):
            raise BenchError(f"{source}: sha256 {actual[:16]}… does not match {entry.name}'s expected {expected}; not installed")
        check_loadable(entry, tmp, source)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(entry.path)
    if not entry.sha256:
        _write_pin(name, actual)
    return entry.path


def _install_converted(entry: WeightsEntry, source: str, sha256: str | None) -> Path:
    """Convert a local file with `entry.convert` into the cache and pin the converted file's hash.

    A stated `sha256` is checked against the source file (the one the user has and can hash).
    """
    import importlib

    if "://" in source:
        raise BenchError(f"{entry.name} is converted from a local file, not downloaded: {entry.install_hint()}")
    src = input_file(source)
    expected = (sha256 or "").lower()
    if expected and not hash_matches(sha256_of(src), expected):
        raise BenchError(f"{source}: sha256 does not match the stated {expected}; not installed")
    module, _, function = entry.convert.partition(":")
    convert = getattr(importlib.import_module(module), function)
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(entry.path, ".part")
    try:
        convert(src, tmp)
        tmp.replace(entry.path)
    finally:
        tmp.unlink(missing_ok=True)
    _write_pin(entry.name, sha256_of(entry.path))
    return entry.path


def _install_snapshot(entry: WeightsEntry, source: str, sha256: str | None) -> Path:
    """Copy a downloaded Hugging Face snapshot directory into the cache and pin its digest."""
    if "://" in source:
        raise BenchError(f"{entry.name} is a model snapshot (several files), not one download: {entry.install_hint()}")
    src = Path(source).expanduser()
    if not src.is_dir():
        raise BenchError(f"{src}: not a directory ({entry.name} installs from a downloaded snapshot directory)")
    lacking = [n for n in SNAPSHOT_REQUIRED if not (src / n).is_file()]
    if not any((src / n).is_file() for n in SNAPSHOT_WEIGHTS):
        lacking.append(" or ".join(SNAPSHOT_WEIGHTS))
    if lacking:
        raise BenchError(f"{src}: not a complete {entry.name} snapshot, missing {', '.join(lacking)}")
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(entry.path, ".part")
    tmp.mkdir()
    try:
        for n in snapshot_files(src):
            shutil.copyfile(src / n, tmp / n)
        check_snapshot_weights(tmp, str(src))
        actual = snapshot_sha256(tmp)
        expected = (sha256 or "").lower()
        if expected and not hash_matches(actual, expected):
            raise BenchError(f"{source}: snapshot sha256 {actual[:16]}… does not match the stated {expected}; not installed")
        discard(entry.path)
        tmp.rename(entry.path)
        with _HASHES_LOCK:  # a rename keeps size and mtime: carry the hashes over instead of re-reading GBs
            for key, digest in list(_HASHES.items()):
                if Path(key[0]).parent == tmp:
                    _HASHES[(str(entry.path / Path(key[0]).name), key[1], key[2])] = digest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _write_pin(entry.name, actual)
    return entry.path
