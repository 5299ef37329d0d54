"""Registry of pretrained files: name, expected sha256, source, licence, cache path. Never downloads silently."""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError, WeightsMissing
from bench.paths import weights_dir


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

    @property
    def path(self) -> Path:
        """Where the file lives once installed."""
        return weights_dir() / self.subdir / self.filename

    def install_hint(self) -> str:
        """The command that installs this file."""
        return f"bench weights install {self.name} --from {self.url} (or --from a local copy of {self.filename})"


TORCH_HUB = "torch_hub/checkpoints"

ENTRIES: dict[str, WeightsEntry] = {
    e.name: e
    for e in [
        WeightsEntry(
            name="alexnet",
            filename="alexnet-owt-7be5be79.pth",
            sha256="7be5be79",
            url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
            licence="BSD-3-Clause (torchvision ImageNet weights)",
            used_by="LPIPS (AlexNet backbone, the papers' variant)",
            subdir=TORCH_HUB,
        ),
        WeightsEntry(
            name="vgg16",
            filename="vgg16-397923af.pth",
            sha256="397923af",
            url="https://download.pytorch.org/models/vgg16-397923af.pth",
            licence="BSD-3-Clause (torchvision ImageNet weights)",
            used_by="LPIPS (VGG backbone)",
            subdir=TORCH_HUB,
        ),
    ]
}


def get_entry(name: str) -> WeightsEntry:
    """The registry entry for `name`, with "did you mean" on a typo."""
    from bench.registry import Registry

    reg: Registry[WeightsEntry] = Registry("weights file")
    for entry in ENTRIES.values():
        reg.register(entry.name)(entry)
    return reg.get(name)


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


def status(name: str) -> tuple[str, str]:
    """('installed' | 'missing' | 'bad-hash', detail) for one entry."""
    entry = get_entry(name)
    if not entry.path.exists():
        return "missing", str(entry.path)
    actual = sha256_of(entry.path)
    if not hash_matches(actual, entry.sha256):
        return "bad-hash", f"{entry.path}: sha256 {actual[:16]}… expected {entry.sha256}"
    return "installed", str(entry.path)


def require(name: str) -> Path:
    """Path of an installed, checksum-verified file; WeightsMissing (with the install command) otherwise."""
    entry = get_entry(name)
    state, detail = status(name)
    if state == "missing":
        raise WeightsMissing(
            f"{entry.filename} not installed (needed by {entry.used_by}); install it with: {entry.install_hint()}"
        )
    if state == "bad-hash":
        raise WeightsMissing(f"refusing {detail}; reinstall with: {entry.install_hint()}")
    return entry.path


def install(name: str, source: str) -> Path:
    """Copy (local path) or download (URL, only on this explicit request) a file, verify, and cache it."""
    entry = get_entry(name)
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.path.with_suffix(entry.path.suffix + ".part")
    if "://" in source:
        try:
            with urllib.request.urlopen(source, timeout=60) as resp, open(tmp, "wb") as out:
                shutil.copyfileobj(resp, out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise BenchError(f"could not download {source}: {exc}; download it elsewhere and use --from PATH") from exc
    else:
        src = Path(source).expanduser()
        if not src.is_file():
            raise BenchError(f"{src}: no such file")
        shutil.copyfile(src, tmp)
    actual = sha256_of(tmp)
    if not hash_matches(actual, entry.sha256):
        tmp.unlink(missing_ok=True)
        raise BenchError(f"{source}: sha256 {actual[:16]}… does not match {entry.name}'s expected {entry.sha256}; not installed")
    tmp.replace(entry.path)
    return entry.path
