"""Services and databases for the benchmarks that need them.

`running(kafka=..., postgres=...)` starts a local broker and PostgreSQL server
(the `services` package) and stops both on leaving the block, error or not.
`fresh_database` gives a new, migrated database and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import storage
from services import KafkaBroker, PostgresServer
from services import postgres as pg


@dataclass(frozen=True, slots=True)
class Services:
    """Where the started services listen; None for a service not asked for."""

    bootstrap: str | None
    postgres_url: str | None


@contextmanager
def running(*, kafka: bool, postgres: bool, partitions: int = 4) -> Iterator[Services]:
    """Start the asked-for services; stop them (and delete their data) on exit."""
    with ExitStack() as stack:
        bootstrap = url = None
        if postgres:
            server = PostgresServer()
            stack.callback(server.close)
            url = server.start().url
        if kafka:
            broker = KafkaBroker(num_partitions=partitions)
            stack.callback(broker.close)
            bootstrap = broker.start().bootstrap
        yield Services(bootstrap, url)


@contextmanager
def fresh_database(server_url: str, *, migrated: bool = True) -> Iterator[str]:
    """URL of a new database on `server_url`'s server (schema at head), dropped on exit."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    url = pg.create_database(server_url, name)
    try:
        if migrated:
            storage.upgrade(url)
        yield url
    finally:
        pg.drop_database(server_url, name)


def cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0))
