"""The result-store contract against a real PostgreSQL server.

Each test gets its own new database (`fresh_database`), so the tests start
empty and leave nothing behind. This is also the smoke test that `alembic
upgrade head` works on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

import storage
from storage import partitions
from tests.migration_check import check_upgrade_keeps_every_row
from tests.storage_contract import StoreContract

pytestmark = pytest.mark.integration


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def db_url(self, fresh_database: str) -> Iterator[str]:
        yield fresh_database

    @pytest.fixture
    def unreachable_url(self, postgres_url: str) -> str:
        # Port 1 on the same host: nothing listens there, so the connection is refused.
        return (
            make_url(postgres_url)
            .set(password="secret", port=1)
            .render_as_string(hide_password=False)
        )


def test_upgrade_from_0001_keeps_every_row_and_backfills_rollups(fresh_database: str) -> None:
    check_upgrade_keeps_every_row(fresh_database)
    engine = storage.connect(fresh_database)
    with engine.connect() as connection:
        days = partitions.existing_days(connection)
    engine.dispose()
    assert len(days) >= 5  # the five days of old rows, each in its own partition
