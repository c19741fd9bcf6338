"""Session fixtures that give tests real services.

`kafka_bootstrap` and `postgres_url` choose, in order: the URL from the
environment (KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL); a service this project
starts locally (`services`: Kafka from cached Maven Central jars, PostgreSQL from
Debian's packages), started lazily once per session and stopped at its end;
testcontainers when a Docker engine answers. When none works, a test that needs
the service is skipped, and with CI=true it fails: it never silently passes.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any, NoReturn

import pytest

from services import KafkaBroker, PostgresServer, SchemaRegistry, ServiceError
from services import postgres as pg
from services.chromium import Chromium

_INTEGRATION_DIR = Path(__file__).parent / "integration"
_HOW_TO = (
    "Run `make services` (or `python -m services install`) so the tests can start Kafka "
    "and PostgreSQL themselves, or export KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL for "
    "running services, or start a Docker engine for testcontainers."
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test a compiled comparator older than its source.

    The compiled module is imported in preference to `walk.py`, so after an
    edit the tests would judge yesterday's code (or fail to import it).
    """
    source = Path(__file__).parents[1] / "comparator" / "walk.py"
    for suffix in EXTENSION_SUFFIXES:
        compiled = source.with_name("walk" + suffix)
        if compiled.exists() and compiled.stat().st_mtime < source.stat().st_mtime:
            pytest.exit(
                f"comparator/walk.py changed after it was compiled to {compiled.name}: run "
                "`make test`, or `.venv/bin/pip install --no-deps -e .`, to compile it again",
                returncode=2,
            )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/integration/ carries the `integration` marker."""
    for item in items:
        if _INTEGRATION_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


def _unavailable(message: str, hint: str = _HOW_TO) -> NoReturn:
    """Fail under CI (a missing service there is a broken pipeline), skip elsewhere."""
    text = f"{message}\n{hint}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(text, pytrace=False)
    pytest.skip(text)


def _docker_answers() -> bool:
    """True when a Docker engine answers a ping within two seconds."""
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@dataclass(frozen=True, slots=True)
class _Provided:
    """Where a service came from: a URL, and the local service object when we run it."""

    url: str
    local: Any | None
    origin: str


@pytest.fixture(scope="session")
def _kafka_service() -> Iterator[_Provided]:
    url = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if url:
        yield _Provided(url, None, "environment")
        return
    problems: list[str] = []
    broker = KafkaBroker()
    try:
        broker.start()
    except (ServiceError, OSError) as exc:
        broker.close()
        problems.append(f"local kafka: {exc}")
    else:
        try:
            yield _Provided(broker.bootstrap, broker, "local")
        finally:
            broker.close()
        return
    if _docker_answers():
        from testcontainers.community.kafka import KafkaContainer

        # Confluent Platform 8.1 ships Apache Kafka 4.1.
        with KafkaContainer("confluentinc/cp-kafka:8.1.0").with_kraft() as container:
            yield _Provided(container.get_bootstrap_server(), None, "testcontainers")
        return
    problems.append("docker: no engine answers")
    _unavailable("no Kafka broker available:\n" + "\n".join(problems))


@pytest.fixture(scope="session")
def _postgres_service() -> Iterator[_Provided]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield _Provided(url, None, "environment")
        return
    problems: list[str] = []
    server = PostgresServer()
    try:
        server.start()
    except (ServiceError, OSError) as exc:
        server.close()
        problems.append(f"local postgres: {exc}")
    else:
        try:
            yield _Provided(server.url, server, "local")
        finally:
            server.close()
        return
    if _docker_answers():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None, dbname="shadowdiff") as container:
            yield _Provided(container.get_connection_url(), None, "testcontainers")
        return
    problems.append("docker: no engine answers")
    _unavailable("no PostgreSQL available:\n" + "\n".join(problems))


@pytest.fixture(scope="session")
def promtool() -> Path:
    """Prometheus's rule checker, installed from Debian's `prometheus` package where missing."""
    from services import promtool

    try:
        return promtool.ensure_installed()
    except ServiceError as exc:
        _unavailable(
            f"no promtool: {exc}", "Run `make services` (or `python -m services install`)."
        )


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    """Headless Chromium and chromedriver, from Debian's packages where missing."""
    from services import chromium as browser

    try:
        return browser.ensure_installed()
    except ServiceError as exc:
        _unavailable(f"no chromium: {exc}", "Run `make services`.")


@pytest.fixture(scope="session")
def schema_registry_url() -> Iterator[str]:
    """Base URL of a real Confluent-compatible schema registry: SCHEMA_REGISTRY_URL from
    the environment, else an Apicurio Registry this project builds and starts locally."""
    url = os.environ.get("SCHEMA_REGISTRY_URL")
    if url:
        yield url
        return
    registry = SchemaRegistry()
    try:
        registry.start()
    except (ServiceError, OSError) as exc:
        registry.close()
        _unavailable(
            f"no schema registry available:\nlocal apicurio registry: {exc}",
            "Run `python -m services install` (it builds the registry from Maven Central), "
            "or export SCHEMA_REGISTRY_URL for a running one.",
        )
    try:
        yield registry.url
    finally:
        registry.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(_kafka_service: _Provided) -> str:
    """`host:port[,host:port]` of a real Kafka broker."""
    return _kafka_service.url


@pytest.fixture(scope="session")
def postgres_url(_postgres_service: _Provided) -> str:
    """`postgresql://user@host:port/db` of a real, empty-at-start PostgreSQL database."""
    return _postgres_service.url


@pytest.fixture(scope="session")
def kafka_broker(_kafka_service: _Provided) -> KafkaBroker:
    """The locally started broker, for tests that stop or restart it.

    Skipped (failed under CI=true) when the broker came from the environment or a
    container, since this process cannot control it then.
    """
    if not isinstance(_kafka_service.local, KafkaBroker):
        _unavailable(
            f"this test stops and restarts the broker, but it came from {_kafka_service.origin}",
            "Unset KAFKA_BOOTSTRAP_SERVERS so the tests start their own broker.",
        )
    return _kafka_service.local


@pytest.fixture(scope="session")
def postgres_server(_postgres_service: _Provided) -> PostgresServer:
    """The locally started PostgreSQL server, for tests that stop or restart it."""
    if not isinstance(_postgres_service.local, PostgresServer):
        _unavailable(
            f"this test stops and restarts postgres, but it came from {_postgres_service.origin}",
            "Unset DATABASE_URL so the tests start their own PostgreSQL server.",
        )
    return _postgres_service.local


@pytest.fixture
def fresh_database(postgres_url: str) -> Iterator[str]:
    """URL of a new, empty database on the same server, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = pg.create_database(postgres_url, name)
    try:
        yield url
    finally:
        pg.drop_database(postgres_url, name)


@pytest.fixture
def topic_prefix(request: pytest.FixtureRequest) -> str:
    """A prefix unique to this test, so tests never share topics or consumer groups."""
    label = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-")[:40]
    return f"t{uuid.uuid4().hex[:8]}-{label}"
