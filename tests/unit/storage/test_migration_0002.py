"""Upgrading an SQLite store from revision 0001 keeps every row (tests/migration_check.py)."""

from __future__ import annotations

from pathlib import Path

from tests.migration_check import check_upgrade_keeps_every_row


def test_upgrade_from_0001_keeps_every_row_and_backfills_rollups(tmp_path: Path) -> None:
    check_upgrade_keeps_every_row(f"sqlite:///{tmp_path / 'old.sqlite'}")
