"""The API contract over SQLite, the embedded default (a temporary file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_contract import ApiContract


class TestApiSqlite(ApiContract):
    @pytest.fixture
    def db_url(self, tmp_path: Path) -> Iterator[str]:
        yield f"sqlite:///{tmp_path / 'results.db'}"
