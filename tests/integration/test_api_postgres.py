"""The API contract over a real PostgreSQL server, a new database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api_contract import ApiContract

pytestmark = pytest.mark.integration


class TestApiPostgres(ApiContract):
    @pytest.fixture
    def db_url(self, fresh_database: str) -> Iterator[str]:
        yield fresh_database
