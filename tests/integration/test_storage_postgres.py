"""The result-store contract against a real PostgreSQL server.

Each test gets its own new database (`fresh_database`), so the tests start
empty and leave nothing behind. This is also the smoke test that `alembic
upgrade head` works on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import storage
from storage import partitions, pg_copy
from tests import rollup_recount
from tests.browse_contract import BrowseContract
from tests.migration_check import check_upgrade_keeps_every_row
from tests.noise_contract import NoiseContract
from tests.storage_contract import RULES, StoreContract, dataset
from tests.triage_contract import TriageContract

pytestmark = pytest.mark.integration


class TestPostgresStore(StoreContract, BrowseContract, TriageContract, NoiseContract):
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


def test_a_batch_that_meets_another_writers_rows_is_written_again_exactly(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers overlapping in a rebalance: rows appear between the writer's
    # look-up and its copy. Blind the look-up to reproduce that moment.
    storage.upgrade(fresh_database)
    engine = storage.connect(fresh_database)
    writer = storage.ResultWriter(engine, rules_version=RULES)
    results = dataset()
    assert writer.write(results[:12]) == 12
    monkeypatch.setattr(pg_copy, "_STORED", "SELECT NULL::text WHERE %(run)s::text IS NULL")
    assert writer.write(results[8:20]) == 8  # 8-11 stored already, 12-19 new
    assert writer.write(results) == len(results) - 20
    assert rollup_recount.stored(engine, "live") == rollup_recount.recounted(engine, "live")
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM comparisons")).scalar_one()
    engine.dispose()
    assert count == len(results)
