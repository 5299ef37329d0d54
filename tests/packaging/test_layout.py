"""The package layout: one `talkbench` namespace over the product's folders, and no bare first-party imports."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"bench": "talkbench", "methods": "talkbench.methods", "metrics": "talkbench.metrics"}


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_of(folder: Path) -> str:
    rel = folder.relative_to(ROOT).parts
    if rel[0] == "bench":
        return ".".join(("talkbench",) + rel[1:])
    return ".".join(("talkbench",) + rel)


def test_every_folder_with_python_files_is_a_listed_package() -> None:
    listed = set(_setuptools()["packages"])
    folders = {p.parent for top in FOLDERS for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted(_package_of(f) for f in folders if _package_of(f) not in listed)
    assert not missing, f"folders with .py files not in pyproject's package list: {missing}"
    for folder in folders:  # mapped folders must be regular packages (setuptools' package-dir needs __init__.py)
        assert (folder / "__init__.py").is_file(), f"{folder} has no __init__.py"
    stale = sorted(p for p in listed - {_package_of(f) for f in folders} if p not in ("talkbench.cards", "talkbench.claims"))
    assert not stale, f"packages listed in pyproject without a folder: {stale}"


def test_package_dir_maps_the_product_folders_and_the_data() -> None:
    mapping = _setuptools()["package-dir"]
    assert mapping == {"talkbench": "bench", "talkbench.methods": "methods", "talkbench.metrics": "metrics",
                       "talkbench.cards": "datasets", "talkbench.claims": "reports/claims"}
    assert not (ROOT / "datasets" / "__init__.py").exists()  # would shadow Hugging Face's `datasets` in a checkout


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


@pytest.mark.slow
def test_no_bare_first_party_imports() -> None:
    """`bench`, `methods` and `metrics` are folders, not importable names: everything imports `talkbench`."""
    offenders = []
    for top in ("bench", "methods", "metrics", "tests", "benchmarks"):
        for path in (ROOT / top).rglob("*.py"):
            for line, name in _imports(path):
                if name.split(".")[0] in FOLDERS:
                    offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_ruff_bans_the_bare_names() -> None:
    """The same rule for editors and `tox -e lint`: ruff's banned-api lists the three folder names."""
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "TID251" in lint["select"] or "TID" in lint["select"]
    assert set(lint["flake8-tidy-imports"]["banned-api"]) >= set(FOLDERS)


def test_import_contract_holds(tmp_path: Path) -> None:
    """The layers point one way (import-linter's contracts in pyproject.toml), checked on a staged copy of the
    package: an editable install maps bench/, methods/ and metrics/ with a finder that grimp cannot follow."""
    import shutil
    import subprocess
    import sys

    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        import pytest

        pytest.fail("import-linter is not installed: pip install -c constraints.txt -e '.[test]'")
    stage = tmp_path / "talkbench"
    shutil.copytree(ROOT / "bench", stage, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "methods", stage / "methods", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "metrics", stage / "metrics", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([str(lint), str(ROOT / "pyproject.toml"), "--no-cache"], capture_output=True,
                         text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
