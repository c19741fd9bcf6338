"""The CLI imports a command's dependencies only when that command runs.

Checked in a fresh interpreter, by the modules loaded (never by a clock): the
Kafka clients, Alembic and the web stack are what made every command slow to start.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from shadowdiff import commands
from shadowdiff.cli import main

HEAVY = ("alembic", "faust", "aiokafka", "fastapi", "uvicorn", "aiohttp", "plotext", "fastavro")


def _loaded_after(code: str) -> set[str]:
    """The heavy top-level packages in sys.modules after `code` runs in a new interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split()) & set(HEAVY)


def test_importing_the_cli_loads_no_command_dependency() -> None:
    assert _loaded_after("import shadowdiff.cli") == set()


def test_the_command_list_loads_no_command_dependency() -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from shadowdiff.cli import main\n"
        "assert CliRunner().invoke(main, ['--help']).exit_code == 0"
    )
    assert _loaded_after(code) == set()


@pytest.mark.parametrize("name", ["mismatches", "show", "signatures", "runs", "status"])
def test_a_query_command_loads_neither_kafka_nor_alembic(name: str) -> None:
    assert _loaded_after(f"import shadowdiff.commands.{name}") == set()


def test_every_command_has_its_line_in_the_list() -> None:
    # A module missing here still works, but `shadowdiff --help` then imports it.
    assert sorted(commands.SUMMARIES) == commands.names()


def test_the_list_names_every_command_and_each_one_loads() -> None:
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0, listed.output
    for name in commands.names():
        assert f"  {name} " in listed.output
        command = commands.load(name)
        assert command is not None and command.name == name


def test_an_unknown_command_is_a_usage_error() -> None:
    outcome = CliRunner().invoke(main, ["mismatch"])
    assert outcome.exit_code == 2
    assert "No such command 'mismatch'" in outcome.output
