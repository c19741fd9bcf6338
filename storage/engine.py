"""Connecting to the result store, and the errors it reports.

`connect` turns a database URL into an engine; every failure to reach the
database surfaces as `StoreUnavailable` (worth retrying), a database without
the schema as `SchemaMissing` (run `shadowdiff db upgrade`; retrying won't help).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from storage.urls import hide_password

CONNECT_TIMEOUT_S = 10
"""Seconds a PostgreSQL connection attempt may take before it counts as a failure."""


class StorageError(Exception):
    """Base of the result store's own errors."""


class StoreUnavailable(StorageError):
    """The database could not be reached (or the connection broke): retry later.

    `url` is the database URL with its password hidden, safe to print.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach the database at {url}: {reason}")
        self.url = url
        self.reason = reason


class SchemaMissing(StorageError):
    """The database answers but lacks the tables: `shadowdiff db upgrade` creates them."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"the database at {url} has no shadowdiff schema: run `shadowdiff db upgrade`"
        )
        self.url = url


class NotADatabase(StorageError):
    """The SQLite file holds something else: no retry will help, another file will."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"{url} names a file that is not a database (SQLite says: file is not a "
            "database): point DATABASE_URL or --db at a database file"
        )
        self.url = url


def normalise_url(url: str | URL) -> URL:
    """The URL SQLAlchemy should use: plain `postgresql://` gets the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: str | URL | Engine) -> str:
    """The URL with its password masked, for messages."""
    if isinstance(url, Engine):
        url = url.url
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return hide_password(url)


def connect(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for `url` (postgresql://, postgresql+psycopg://, sqlite:///FILE).

    Creating the engine does not touch the database; the first use does, and
    raises `StoreUnavailable` through `guard` when it cannot.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pool_pre_ping: a worker outliving a database restart gets a fresh connection
    # instead of one failed batch per stale pooled connection. A connection
    # attempt gives up after CONNECT_TIMEOUT_S (libpq waits for ever), so an
    # unreachable host counts against the worker's retry limit like a refusal.
    # A `connect_timeout` in the URL still wins.
    args: dict[str, object] = {}
    if parsed.get_driver_name() == "psycopg" and "connect_timeout" not in parsed.query:
        args["connect_timeout"] = CONNECT_TIMEOUT_S
    return create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=args)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked;
    # WAL lets the query commands read while the embedded pipeline writes.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _is_not_a_database(error: exc.DBAPIError) -> bool:
    # SQLite's answer for a file that exists but holds something else.
    return "file is not a database" in str(error.orig)


def _is_missing_table(error: exc.DBAPIError) -> bool:
    text = str(error.orig).lower()
    return "no such table" in text or "undefinedtable" in type(error.orig).__name__.lower()


@contextmanager
def guard(engine: Engine) -> Iterator[None]:
    """Translate SQLAlchemy's connection errors into the store's own errors."""
    try:
        yield
    except exc.DBAPIError as error:
        if _is_missing_table(error):
            raise SchemaMissing(safe_url(engine)) from error
        if _is_not_a_database(error):
            raise NotADatabase(safe_url(engine)) from error
        if isinstance(error, exc.OperationalError | exc.InterfaceError) or (
            error.connection_invalidated
        ):
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise StoreUnavailable(safe_url(engine), reason) from error
        raise
