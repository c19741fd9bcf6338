"""`analysis` is pure: standard library only, no I/O framework, no environment reads."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import analysis
from tests.unit.comparator.test_purity import FORBIDDEN, _reads_environment

PACKAGE = Path(analysis.__file__).parent
ALLOWED = {
    "__future__",
    "analysis",
    "collections",
    "dataclasses",
    "datetime",
    "fnmatch",
    "functools",
    "hashlib",
    "importlib",
    "itertools",
    "math",
    "re",
    "statistics",
    "typing",
}


def _imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_importing_analysis_loads_no_io_framework() -> None:
    code = (
        "import sys, analysis\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {(*FORBIDDEN, 'aiohttp')!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_analysis_imports_only_pure_standard_modules() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5
    imported = {m.name: _imports(ast.parse(m.read_text())) - ALLOWED for m in modules}
    assert {name: extra for name, extra in imported.items() if extra} == {}


def test_no_analysis_module_reads_the_environment() -> None:
    offences = {
        m.name: hits
        for m in sorted(PACKAGE.glob("*.py"))
        if (hits := _reads_environment(ast.parse(m.read_text())))
    }
    assert offences == {}


def test_the_import_check_would_catch_an_io_import() -> None:
    assert _imports(ast.parse("import socket\nfrom sqlalchemy import text")) - ALLOWED == {
        "socket",
        "sqlalchemy",
    }
