"""Installing shadowdiff where no C compiler works: it installs, and runs interpreted.

setup.py marks the compiled comparator optional; this builds the package's wheel
as pip would, from a copy of the source (a build leaves files behind), with the
compiler replaced by one that always fails, then installs it and imports it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_a_failing_compiler_leaves_the_comparator_interpreted(tmp_path: Path) -> None:
    source = tmp_path / "source"
    skipped = shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "*.so", "*.c")
    shutil.copytree(REPO, source, ignore=skipped)
    built = _run(
        "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path), ".",
        cwd=source,
        env={"CC": "false"},
    )  # fmt: skip
    assert "building 'comparator.walk' extension" in built  # the compile was tried
    (wheel,) = tmp_path.glob("shadowdiff-*.whl")

    target = tmp_path / "installed"
    _run("-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel),
         cwd=tmp_path)  # fmt: skip
    probe = "import comparator, comparator.walk as w; print(w.__file__, comparator.COMPILED)"
    shown = _run("-c", probe, cwd=tmp_path, env={"PYTHONPATH": str(target)})
    assert shown.split() == [str(target / "comparator" / "walk.py"), "False"]
    # The dashboard ships inside the package, its vendored chart library and licence too.
    static = target / "api" / "static"
    for name in ("index.html", "app.js", "vendor/uPlot.esm.js", "vendor/uPlot.LICENSE"):
        assert (static / name).is_file(), name
