"""Database URLs: driver choice and password masking."""

from __future__ import annotations

import pytest

from storage.engine import normalise_url, safe_url


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u:p@h:5432/d", "postgresql+psycopg"),
        ("postgres://u@h/d", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg"),
        ("sqlite:///results.db", "sqlite"),
    ],
)
def test_driver(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_safe_url_hides_the_password() -> None:
    shown = safe_url("postgresql://user:hunter2@db.example:5432/results")
    assert "hunter2" not in shown
    assert "user" in shown and "db.example:5432/results" in shown


def test_safe_url_survives_garbage() -> None:
    assert "hunter2" not in safe_url("::hunter2::")
