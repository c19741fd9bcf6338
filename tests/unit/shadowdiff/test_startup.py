"""A command imports only what it needs to start.

Checked in a fresh interpreter, by the modules loaded (never by a clock): the
Kafka clients, Alembic and the web stack made every command slow to start; the
settings' pydantic, SQLAlchemy's ORM and the rules parser (YAML) are what a
query command or `status` would pay for again if one crept back in.
`python -m benchmarks startup` measures the times themselves.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import storage
from comparator import RuleSet
from shadowdiff import commands
from shadowdiff.cli import main
from streams.pipeline import run_pipeline
from streams.synthetic.secondary import users

KAFKA_AND_WEB = ("alembic", "faust", "aiokafka", "fastapi", "uvicorn", "aiohttp", "fastavro")
HEAVY = (*KAFKA_AND_WEB, "plotext", "pydantic", "pydantic_settings", "yaml", "sqlalchemy")
"""What `--help` does without: every top-level package here costs it time."""

NOT_FOR_QUERIES = (
    *KAFKA_AND_WEB,
    "plotext",
    "pydantic",
    "pydantic_settings",
    "yaml",
    "sqlalchemy.orm",
    "comparator.rules_file",
    "comparator.rules",
    "comparator.pair",
    "analysis.judge",
)
"""What a query given `--db` or DATABASE_URL does without (it needs SQLAlchemy Core)."""


def _loaded_after(code: str, watched: tuple[str, ...] = HEAVY) -> set[str]:
    """The modules of `watched` (packages or submodules) loaded after `code` runs afresh."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return {w for w in watched for m in out.split() if m == w or m.startswith(f"{w}.")}


def _invoked(args: list[str]) -> str:
    """Code that runs `shadowdiff ARGS` in-process and fails unless it succeeds."""
    return (
        "from click.testing import CliRunner\n"
        "from shadowdiff.cli import main\n"
        f"outcome = CliRunner().invoke(main, {args!r})\n"
        "assert outcome.exit_code == 0, outcome.output"
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small SQLite store with a live run and mismatches, without a secondary.

    (With a secondary `signatures` reads its noise thresholds from the settings.)
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('startup') / 'results.db'}"
    engine = storage.connect(url)
    storage.upgrade(engine)
    run_pipeline(users(20), RuleSet.default(), storage.ResultWriter(engine, rules_version="v1"))
    engine.dispose()  # closed, so SQLite's journal files are gone until a command opens it
    return url


def test_importing_the_cli_loads_no_command_dependency() -> None:
    assert _loaded_after("import shadowdiff.cli") == set()


def test_the_command_list_loads_no_command_dependency() -> None:
    assert _loaded_after(_invoked(["--help"])) == set()


def test_status_reads_the_settings_and_never_loads_the_store() -> None:
    assert _loaded_after(_invoked(["status"])) == {"pydantic", "pydantic_settings"}


@pytest.mark.parametrize(
    "args",
    [["mismatches"], ["show", "users-0"], ["show", "no-such-request"], ["signatures"], ["runs"]],
    ids=["mismatches", "show", "show-unknown", "signatures", "runs"],
)
def test_a_query_command_loads_only_the_store(store: str, args: list[str]) -> None:
    loaded = _loaded_after(_invoked([*args, "--db", store]), (*NOT_FOR_QUERIES, "sqlalchemy"))
    assert loaded == {"sqlalchemy"}


def test_a_query_given_its_store_by_database_url_loads_only_the_store(store: str) -> None:
    code = f"import os\nos.environ['DATABASE_URL'] = {store!r}\n" + _invoked(["mismatches"])
    assert _loaded_after(code, (*NOT_FOR_QUERIES, "sqlalchemy")) == {"sqlalchemy"}


def test_the_watch_would_see_a_heavy_import() -> None:
    assert _loaded_after("import yaml, sqlalchemy.orm", NOT_FOR_QUERIES) == {
        "yaml",
        "sqlalchemy.orm",
    }


def test_the_program_collects_garbage_again_once_its_command_is_loaded(store: str) -> None:
    # `run` holds collection off while importing, then freezes what the imports made.
    code = (
        "import atexit, gc, sys\n"
        "from shadowdiff import cli\n"
        "atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 0))\n"
        f"sys.argv = ['shadowdiff', 'runs', '--db', {store!r}]\n"
        "cli.run()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "live" in out.stdout and out.stdout.splitlines()[-1] == "True True"


def test_a_query_leaves_no_sqlite_journal_behind(store: str) -> None:
    # What the command made (the engine, its connection) is still collected at exit.
    out = subprocess.run(
        [sys.executable, "-m", "shadowdiff", "runs", "--db", store], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    folder = Path(store.removeprefix("sqlite:///")).parent
    assert sorted(p.name for p in folder.iterdir()) == ["results.db"]


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
