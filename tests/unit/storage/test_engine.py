"""Database URLs: driver choice and password masking."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from storage.engine import normalise_url, safe_url
from storage.urls import hide_password


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


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://user:hunter2@db.example:5432/results",
        "postgresql://u:p%40ss@h/d?sslmode=require",
        "postgresql://u:p:q@h/d",
        "postgresql://u:@h/d",
        "postgresql+psycopg://:pw@h/d",
        "postgresql://u@h/d",
        "postgresql://h/d",
        "postgresql://u:pw@[::1]:5432/d",
        "sqlite:///results.db",
        "sqlite:////var/lib/shadowdiff/a b.db",
        "sqlite://",
        "::hunter2::",
        "not a url",
    ],
)
def test_the_password_is_hidden_as_sqlalchemy_renders_it(url: str) -> None:
    # `status` masks without importing SQLAlchemy: it must agree with SQLAlchemy's parse.
    try:
        expected = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        expected = "<unparseable database URL>"
    assert hide_password(url) == safe_url(url) == expected
