"""Running one command over a SQLite store filled with the contract's data set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from click.testing import CliRunner

import storage
from tests.storage_contract import dataset


def filled_store(tmp_path: Path) -> str:
    """The URL of a new SQLite store holding `dataset()`."""
    db = f"sqlite:///{tmp_path / 'results.db'}"
    storage.upgrade(db)
    storage.ResultWriter(storage.connect(db), rules_version="rules-v1").write(dataset())
    return db


def runner(*commands: click.Command) -> Callable[..., tuple[int, str]]:
    """`run(*args)` -> (exit code, output) of a group holding only `commands`."""
    group = click.Group("main", commands=list(commands))

    def run(*args: str) -> tuple[int, str]:
        outcome = CliRunner().invoke(group, list(args))
        return outcome.exit_code, outcome.output

    return run
