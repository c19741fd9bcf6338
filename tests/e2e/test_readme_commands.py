"""Every command in the README's `sh` blocks works as pasted, or says why it is not run here.

The commands are collected from the README itself, so a command added there is
tested without touching this file. They run in the README's order in a fresh
directory where `shadowdiff demo` has just run (its database, the repository's
sample files), as a person following the README would: a line that writes a
file (`printf`, `echo ... >`) is setup for the lines after it. A line is not run here when
`excluded` gives a reason: it needs Kafka, PostgreSQL or a running server (those
are exercised by the integration tier), it runs until stopped, it is a template
(an upper-case placeholder such as FILE), or it is not a shadowdiff command; nor
are the lines after such a service line in its block, which may read what it made.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from shadowdiff import commands

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
BIN = Path(sys.executable).parent

# Sub-commands that talk to Kafka or serve until stopped, whatever their flags.
_SERVICE_COMMANDS = {
    "worker": "consumes Kafka and runs until stopped",
    "publish": "writes to Kafka",
    "deadletters": "reads Kafka",
    "archive": "consumes Kafka and runs until stopped",
    "proxy": "serves until stopped",
    "serve": "serves until stopped",
}
_SERVICE_WORDS = re.compile(r"postgresql://|kafka|--bootstrap|\bcurl\b|https?://", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"(?<![\w$])[A-Z][A-Z_]{2,}(?![\w=])")
_SETUP = ("printf ", "echo ")


@dataclass(frozen=True, slots=True)
class Line:
    """One command of a README block: where it is and its text."""

    block: int
    number: int
    text: str


def blocks(text: str) -> list[list[Line]]:
    """The commands of each `sh` block: continuations joined, comments dropped."""
    found: list[list[Line]] = []
    current: list[Line] | None = None
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("```"):
            current = [] if raw.strip() == "```sh" and current is None else None
            if current is not None:
                found.append(current)
            continue
        if current is None:
            continue
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        command = _without_comment(pending + raw).strip()
        pending = ""
        if command:
            current.append(Line(len(found), start, command))
    return found


def _without_comment(line: str) -> str:
    """The line without a trailing `# comment` (a # inside quotes stays)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _program(command: str) -> tuple[str, list[str]]:
    """The program a command runs (env assignments skipped) and its arguments."""
    words = shlex.split(command)
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        words.pop(0)
    return (words[0], words[1:]) if words else ("", [])


def excluded(command: str) -> str | None:
    """Why `command` is not run by this test, or None when it is."""
    program, args = _program(command)
    if command.startswith(_SETUP):
        return None
    if Path(program).name != "shadowdiff":
        return f"not a shadowdiff command ({program})"
    if _SERVICE_WORDS.search(command):
        return "needs Kafka, PostgreSQL or a server: the integration tier runs it"
    sub = args[0] if args else ""
    if sub in _SERVICE_COMMANDS:
        return f"`{sub}` {_SERVICE_COMMANDS[sub]}: the integration tier runs it"
    if "--db" not in args and _reads_database_url(args):
        return "no --db, so DATABASE_URL (PostgreSQL): the integration tier runs it"
    if _PLACEHOLDER.search(re.sub(r"'[^']*'|\"[^\"]*\"", "", command)):
        return "a template: an upper-case placeholder stands for a value"
    return None


def _reads_database_url(args: list[str]) -> bool:
    """Whether the (sub-)command `args` names has a --db option defaulting to DATABASE_URL."""
    command = commands.load(args[0]) if args else None
    for word in args[1:]:
        if not isinstance(command, click.Group) or word not in command.commands:
            break
        command = command.commands[word]
    return command is not None and any(
        "--db" in p.opts
        and (p.envvar == "DATABASE_URL" or "DATABASE_URL" in (getattr(p, "help", "") or ""))
        for p in command.params
    )


def runnable(block: list[Line]) -> list[Line]:
    """The lines of `block` this test runs: not excluded, and after no line the
    integration tier runs (a later line may read what that one made)."""
    found = []
    for line in block:
        reason = excluded(line.text)
        if reason is not None and "integration tier" in reason:
            break
        if reason is None:
            found.append(line)
    return found


def expected_statuses(command: str) -> set[int]:
    """The exit statuses that mean success: `diff` exits 1 for bodies that differ, as diff(1)."""
    _program_name, args = _program(command)
    return {0, 1} if args[:1] == ["diff"] else {0}


BLOCKS = blocks(README.read_text())
COMMANDS = [line for block in BLOCKS for line in block]
RUN = [line for block in BLOCKS for line in runnable(block)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory as a user has it after `make demo`: the repository's files, the database.

    The README's commands then run in it in the README's order, as a person
    following it would.
    """
    here = tmp_path_factory.mktemp("readme")
    for folder in ("streams", "comparator", "examples"):
        shutil.copytree(REPO / folder, here / folder, ignore=shutil.ignore_patterns("*.so", "*.c"))
    (here / ".venv").symlink_to(BIN.parent)
    done = subprocess.run(
        [".venv/bin/shadowdiff", "demo"], cwd=here, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return here


def _environment() -> dict[str, str]:
    # A developer's own settings would change what the commands do.
    drop = {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "RULES_FILE", "SHADOWDIFF_REDACTION_KEY"}
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.mark.e2e
@pytest.mark.parametrize("line", RUN, ids=[f"README.md:{line.number}" for line in RUN])
def test_each_readme_command_works_as_pasted(line: Line, workdir: Path) -> None:
    done = subprocess.run(
        ["bash", "-c", line.text],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(),
    )
    assert done.returncode in expected_statuses(line.text), (
        f"README.md:{line.number}: `{line.text}` exited {done.returncode}\n{done.stderr}"
    )


def test_the_readme_has_commands_and_many_run_here() -> None:
    # A parser that lost the blocks would make every test above vanish, unseen.
    assert len(COMMANDS) > 100
    assert len(RUN) > 30


def test_the_rule_runs_queries_and_excludes_what_needs_services() -> None:
    assert excluded(".venv/bin/shadowdiff mismatches --db sqlite:///x.sqlite") is None
    assert excluded("printf 'a' > rules.yaml") is None
    assert "Kafka" in (excluded(".venv/bin/shadowdiff worker") or "")
    assert "PostgreSQL" in (
        excluded("DATABASE_URL=postgresql://x .venv/bin/shadowdiff db upgrade") or ""
    )
    assert "template" in (excluded(".venv/bin/shadowdiff show REQUEST_ID --db sqlite:///x") or "")
    assert "not a shadowdiff command" in (excluded("make test") or "")
