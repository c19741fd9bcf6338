"""The schema's check constraints allow exactly the verdicts and kinds the code has."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from comparator import Kind, Verdict

VERSIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_initial_migration_knows_every_verdict_and_kind() -> None:
    initial = load("0001_initial")
    assert set(initial.VERDICTS) == {v.value for v in Verdict}
    assert set(initial.KINDS) == {k.value for k in Kind}
