"""docker-compose.yml cannot be run here (no Docker engine), so check it agrees with the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from shadowdiff.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_KAFKA,
    DEFAULT_METRICS_PORT,
    Settings,
    parse_brokers,
)

COMPOSE = Path(__file__).resolve().parents[3] / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text())
    return dict(doc["services"])


def test_it_has_kafka_postgres_and_a_worker(services: dict[str, Any]) -> None:
    assert {"kafka", "postgres", "worker"} <= services.keys()
    assert services["worker"]["command"][:2] == ["shadowdiff", "worker"]


def test_host_ports_are_the_settings_defaults(services: dict[str, Any]) -> None:
    kafka_port = DEFAULT_KAFKA.rsplit(":", 1)[1]
    assert f"{kafka_port}:9092" in services["kafka"]["ports"]
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"HOST://{DEFAULT_KAFKA}" in advertised.split(",")
    pg_port = urlsplit(DEFAULT_DATABASE_URL).port
    assert f"{pg_port}:5432" in services["postgres"]["ports"]
    metrics = f"{DEFAULT_METRICS_PORT}:{DEFAULT_METRICS_PORT}"
    assert metrics in services["worker"]["ports"]


def test_postgres_credentials_match_the_default_url(services: dict[str, Any]) -> None:
    env = services["postgres"]["environment"]
    url = urlsplit(DEFAULT_DATABASE_URL)
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == (url.username, url.password)
    assert env["POSTGRES_DB"] == url.path.lstrip("/")


def test_worker_environment_names_settings_the_code_reads(services: dict[str, Any]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for name in ("worker", "migrate"):
        env = services[name]["environment"]
        assert set(env) <= fields, f"{name} sets variables the code never reads"


def test_worker_reaches_the_services_by_their_compose_names(services: dict[str, Any]) -> None:
    env = services["worker"]["environment"]
    internal = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"INTERNAL://{env['KAFKA_BOOTSTRAP_SERVERS']}" in internal.split(",")
    db = urlsplit(env["DATABASE_URL"])
    default = urlsplit(DEFAULT_DATABASE_URL)
    assert db.hostname == "postgres" and db.port == 5432
    assert (db.username, db.password, db.path) == (default.username, default.password, default.path)
    # Settings parses what compose passes.
    settings = Settings(kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"])
    assert parse_brokers(settings.kafka_bootstrap_servers) == ["kafka:19092"]
