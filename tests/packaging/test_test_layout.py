"""The tests mirror the source tree: tests/<package path>/test_<module>.py, so a module's tests are found without a search.

tests/methods/... mirrors methods/, tests/metrics/... mirrors metrics/, every other tests/<x>/... mirrors bench/<x>/.
A test file names a module of its folder's package (`test_<module>.py` -> `<module>.py`), a subpackage
(`test_<package>.py` -> `<package>/`), or the folder's own package (or top-level module) as a whole
(tests/methods/test_methods.py, tests/dsp/test_dsp.py). tests/kit (shared helpers) and tests/packaging (checks of the
repository itself) mirror nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
EXEMPT = {"kit", "packaging"}
"""Top-level test folders that mirror no source folder."""


def source_folder(test_dir: Path) -> Path:
    """The source folder a test folder mirrors: tests/methods/x -> methods/x, tests/metrics/x -> metrics/x, tests/x -> bench/x."""
    parts = test_dir.relative_to(TESTS).parts
    if parts[0] in ("methods", "metrics"):
        return ROOT.joinpath(*parts)
    return ROOT.joinpath("bench", *parts)


def mirrored(test_file: Path) -> Path | None:
    """The source module or package `test_file` tests, or None when there is none."""
    name = test_file.stem.removeprefix("test_")
    src = source_folder(test_file.parent)
    candidates = [src / f"{name}.py", src / name / "__init__.py"]
    if name == test_file.parent.name:  # the folder's own package (or top-level module) as a whole
        candidates += [src / "__init__.py", src.with_suffix(".py")]
    return next((c for c in candidates if c.is_file()), None)


def _test_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("test_*.py") if "__pycache__" not in p.parts)


def test_no_test_module_sits_directly_in_tests() -> None:
    flat = [p.name for p in TESTS.glob("test_*.py")]
    assert not flat, f"test modules directly in tests/ (move each to tests/<package path>/test_<module>.py): {flat}"


def test_every_test_module_mirrors_a_source_module() -> None:
    orphans = []
    for path in _test_files():
        rel = path.relative_to(TESTS)
        if len(rel.parts) < 2 or rel.parts[0] in EXEMPT:
            continue
        if mirrored(path) is None:
            src = source_folder(path.parent).relative_to(ROOT)
            name = path.stem.removeprefix("test_")
            orphans.append(f"tests/{rel}: no {src}/{name}.py, {src}/{name}/ or package named {name!r}")
    assert not orphans, "test modules that mirror no source module:\n" + "\n".join(orphans)


def test_every_test_folder_is_a_package() -> None:
    """Test modules are imported by package path, so two test_syncnet.py in different folders both collect."""
    folders = {p.parent for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").is_file())
    assert not missing, f"test folders without __init__.py: {missing}"


def test_no_test_module_imports_another() -> None:
    """Shared helpers and fixtures live in tests/kit or a folder's conftest.py, never in a test module."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.startswith("tests.") and name.split(".")[-1].startswith("test_"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_rule_itself() -> None:
    """The mapping on examples of the rule, and on names that must not pass."""
    ok = ["harness/test_jobs.py", "report/test_check.py", "cli/test_main.py", "methods/synctalk/test_stabilizer.py",
          "metrics/image/test_psnr.py", "methods/enhance/test_mss.py", "methods/nerf/test_hash_grid.py",
          "methods/test_methods.py", "metrics/test_metrics.py", "dsp/test_dsp.py", "prepare/test_passes.py"]
    for rel in ok:
        assert mirrored(TESTS / rel) is not None, rel
    for rel in ["harness/test_runner.py", "methods/nerf/test_cuda.py", "core/test_plugins.py", "metrics/image/test_image_metrics.py"]:
        assert mirrored(TESTS / rel) is None, rel
