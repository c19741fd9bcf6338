"""Alive is not ready: with the database gone, /healthz answers and the rest says so."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

import storage
from api import ApiConfig, create_app

TOKEN = "health-token-0123456789abcdef"


def test_an_unreachable_database_is_not_ready_and_every_read_says_try_later(
    tmp_path: Path,
) -> None:
    # SQLite cannot open a file in a directory that does not exist.
    engine = storage.connect(f"sqlite:///{tmp_path / 'gone' / 'results.db'}")
    app = create_app(ApiConfig(engine=engine, tokens=(TOKEN,)))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        report = client.get("/api/v1/endpoints")
        assert report.status_code == 503
        assert "try again later" in report.json()["detail"]
        assert "gone" not in report.text  # no path or URL of the store in the answer


def test_a_database_without_the_schema_says_to_upgrade(tmp_path: Path) -> None:
    engine = storage.connect(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(ApiConfig(engine=engine, tokens=(TOKEN,)))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        answer = client.get("/api/v1/runs")
        assert answer.status_code == 503
        assert "shadowdiff db upgrade" in answer.json()["detail"]
