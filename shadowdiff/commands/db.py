"""`shadowdiff db`: create or update the result store's schema, or show its revision.

Also home of the small helpers the query commands share for opening the store
and turning its errors into messages that say what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import Engine

import storage
from storage.timespec import parse_duration

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    # Read by click, so a query started with DATABASE_URL set need not build the
    # settings (pydantic is a third of such a command's start).
    envvar="DATABASE_URL",
    show_envvar=True,
    help="Database URL (postgresql://... or sqlite:///FILE).",
)


def open_store(db_url: str | None, *, existing: bool = False) -> Engine:
    """An engine for `--db`, or for DATABASE_URL when the flag is absent.

    `existing`: for commands that only read, a SQLite file that is not there is
    an error (SQLite would create an empty one, and a mistyped path would read
    as a store without a schema).
    """
    url = db_url
    if url is None:
        # Imported here: with --db or DATABASE_URL, a query need not load pydantic.
        from shadowdiff.settings import Settings

        url = Settings().database_url
    try:
        engine = storage.connect(url)
    except Exception as error:  # a malformed URL or an unknown driver
        raise click.ClickException(
            f"cannot use database URL {storage.safe_url(url)}: {error}. "
            "Set DATABASE_URL or pass --db."
        ) from error
    file = engine.url.database
    if existing and engine.dialect.name == "sqlite" and file and not Path(file).exists():
        raise click.ClickException(
            f"no database at {file}: check --db (`shadowdiff demo` and `shadowdiff db "
            "upgrade` create one)"
        )
    return engine


@contextmanager
def store_errors() -> Iterator[None]:
    """Report the store's errors as one-line messages (exit status 1)."""
    try:
        yield
    except storage.StoreUnavailable as error:
        raise click.ClickException(
            f"{error}\nIs the database running? Point DATABASE_URL or --db at it."
        ) from error
    except storage.StorageError as error:  # a missing schema, a file that is no database
        raise click.ClickException(str(error)) from error


@click.group("db")
def command() -> None:
    """Manage the result store: its schema (Alembic migrations) and retention."""


@command.command("upgrade")
@db_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(db_url: str | None, revision: str) -> None:
    """Create the tables, or bring them up to date. Safe to run again."""
    from alembic.util.exc import CommandError  # here: Alembic is slow to import

    engine = open_store(db_url)
    with store_errors():
        try:
            storage.upgrade(engine, revision)
        except CommandError as error:
            raise click.BadParameter(str(error), param_hint="--revision") from error
        current = storage.current_revision(engine)
    click.echo(f"{storage.safe_url(engine)}: schema at revision {current}")


@command.command("current")
@db_option
def current(db_url: str | None) -> None:
    """Show the schema revision of the database and the newest one known."""
    engine = open_store(db_url, existing=True)
    with store_errors():
        revision = storage.current_revision(engine)
    head = storage.head_revision()
    click.echo(f"database: {storage.safe_url(engine)}")
    click.echo(f"current:  {revision or '(none: run `shadowdiff db upgrade`)'}")
    click.echo(f"head:     {head}")
    if revision != head:
        click.echo("the schema is behind: run `shadowdiff db upgrade`")


def _age(spec: str | None, flag: str) -> timedelta | None:
    if spec is None:
        return None
    age = parse_duration(spec)
    if age is None or age <= timedelta(0):
        raise click.BadParameter(f"{spec!r} is not an age: use 30d, 12h, 2w", param_hint=flag)
    return age


@command.command("prune")
@click.option(
    "--older-than",
    default=None,
    metavar="AGE",
    help="Drop raw comparisons and differences older than this (30d, 2w).",
)
@click.option(
    "--rollups-older-than",
    default=None,
    metavar="AGE",
    help="Drop per-minute rollups older than this (400d); keep them longer than raw rows.",
)
@click.option("--dry-run", is_flag=True, help="Say what would go; change nothing.")
@db_option
def prune(
    older_than: str | None, rollups_older_than: str | None, dry_run: bool, db_url: str | None
) -> None:
    """Retention: drop old raw rows (whole days) and, separately, old rollups.

    Cuts fall on the start of a UTC day. On PostgreSQL whole day partitions are
    dropped; on SQLite the rows are deleted. Reports keep counting pruned raw
    time from the rollups, and say when a window reaches into pruned time.
    """
    from storage import retention  # here: the partition helpers only prune needs

    raw_age = _age(older_than, "--older-than")
    rollup_age = _age(rollups_older_than, "--rollups-older-than")
    if raw_age is None and rollup_age is None:
        raise click.UsageError(
            "say what to prune: --older-than AGE and/or --rollups-older-than AGE"
        )
    engine = open_store(db_url, existing=True)
    with store_errors():
        done = retention.prune(
            engine,
            now=datetime.now(UTC),
            raw_older_than=raw_age,
            rollups_older_than=rollup_age,
            dry_run=dry_run,
        )
    verb = "would drop" if dry_run else "dropped"
    if done.raw_before is not None:
        what = (
            f"{len(done.raw_days)} day partitions"
            if done.raw_rows is None
            else f"{done.raw_rows} comparisons"
        )
        click.echo(f"raw rows before {done.raw_before.isoformat()}: {verb} {what}")
    if done.rollups_before is not None:
        click.echo(
            f"rollups before {done.rollups_before.isoformat()}: {verb} {done.rollup_rows} rows"
        )
