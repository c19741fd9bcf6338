"""The API contract over a real PostgreSQL server, a new database per test."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

import storage
from api import ApiConfig, create_app
from tests.api_contract import TOKEN, ApiContract
from tests.storage_contract import RULES, T0, dataset, make_result

pytestmark = pytest.mark.integration


class TestApiPostgres(ApiContract):
    @pytest.fixture
    def db_url(self, fresh_database: str) -> Iterator[str]:
        yield fresh_database


def _readme_reader_sql() -> str:
    """The README's SQL that creates the API's read-only role."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    found = re.search(r"give the API a role that can only read:\s*```sql\n(.*?)```", readme, re.S)
    assert found, "the README lost its read-only role SQL"
    return found.group(1)


def test_the_readme_read_only_role_serves_and_cannot_write(fresh_database: str) -> None:
    engine = storage.connect(fresh_database)
    storage.upgrade(engine)
    storage.ResultWriter(engine, rules_version=RULES).write(dataset())
    url = make_url(fresh_database)
    reader = f"reader_{uuid.uuid4().hex[:8]}"
    with engine.connect() as connection:
        owner = connection.execute(sa.text("SELECT current_user")).scalar_one()
    sql = (
        _readme_reader_sql()
        .replace("shadowdiff_reader", reader)
        .replace("DATABASE shadowdiff", f'DATABASE "{url.database}"')
        .replace("FOR ROLE shadowdiff", f'FOR ROLE "{owner}"')
    )
    with engine.begin() as connection:
        for statement in (s for s in sql.split(";") if s.strip()):
            connection.execute(sa.text(statement))
    as_reader = url.set(username=reader, password="change-me")
    read_only = storage.connect(as_reader)
    try:
        app = create_app(ApiConfig(engine=read_only, tokens=(TOKEN,)))
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            body = client.get("/api/v1/endpoints").json()
            assert sum(e["total"] for e in body["endpoints"]) == len(dataset())
            assert client.get("/readyz").status_code == 200
            # A day the writer partitions after the grants is readable too.
            later = make_result("next-week", at=T0 + timedelta(days=7))
            storage.ResultWriter(engine, rules_version=RULES).write([later])
            assert client.get("/api/v1/comparisons/next-week").status_code == 200
        refused = pytest.raises(sa.exc.ProgrammingError, match="permission denied")
        with refused, read_only.begin() as connection:
            connection.execute(sa.text("DELETE FROM comparisons"))
    finally:
        read_only.dispose()
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP OWNED BY "{reader}"'))
            connection.execute(sa.text(f'DROP ROLE "{reader}"'))
        engine.dispose()
