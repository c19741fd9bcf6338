"""Installing shadowdiff where no C compiler works: it installs, and runs interpreted.

setup.py marks the compiled comparator optional; this builds the package's wheel
as pip would, from a copy of the source (a build leaves files behind), with the
compiler replaced by one that always fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def test_a_failing_compiler_leaves_the_comparator_interpreted(tmp_path: Path) -> None:
    source = tmp_path / "source"
    skipped = shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "*.so", "*.c")
    shutil.copytree(REPO, source, ignore=skipped)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CC": "false"},
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("shadowdiff-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "comparator/walk.py" in names
    assert not [n for n in names if n.startswith("comparator/walk.") and n.endswith(".so")]
