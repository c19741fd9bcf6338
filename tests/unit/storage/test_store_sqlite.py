"""The result-store contract against SQLite, the embedded default (a temporary file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browse_contract import BrowseContract
from tests.noise_contract import NoiseContract
from tests.storage_contract import StoreContract
from tests.triage_contract import TriageContract


class TestSqliteStore(StoreContract, BrowseContract, TriageContract, NoiseContract):
    @pytest.fixture
    def db_url(self, tmp_path: Path) -> Iterator[str]:
        yield f"sqlite:///{tmp_path / 'results.db'}"

    @pytest.fixture
    def unreachable_url(self, tmp_path: Path) -> str:
        # SQLite cannot create a file in a directory that does not exist.
        return f"sqlite:///{tmp_path / 'no-such-dir' / 'results.db'}"
