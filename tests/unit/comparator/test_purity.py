"""The comparator is pure: no Kafka, Faust, SQLAlchemy, and no environment reads."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import comparator

FORBIDDEN = ("faust", "aiokafka", "sqlalchemy", "kafka", "mode")


def test_importing_comparator_loads_no_io_framework() -> None:
    code = (
        "import sys, comparator, comparator.pair, comparator.rules_file\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _reads_environment(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            found.append(f"line {node.lineno}: {node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {a.name for a in node.names}
            if names & {"environ", "getenv", "environb"}:
                found.append(f"line {node.lineno}: from os import {names}")
    return found


def test_no_comparator_module_reads_the_environment() -> None:
    package = Path(comparator.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 5
    offences = {
        m.name: hits for m in modules if (hits := _reads_environment(ast.parse(m.read_text())))
    }
    assert offences == {}


def test_the_environment_check_would_catch_a_read() -> None:
    assert _reads_environment(ast.parse("import os\nx = os.environ['A']"))
    assert _reads_environment(ast.parse("from os import getenv"))
