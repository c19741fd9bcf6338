"""Gateways a schema version ahead and behind, on real Kafka and PostgreSQL.

Primaries come from a gateway that added an optional field to the Exchange
schema, candidates from one still on a schema without one of today's fields;
both schemas are in SCHEMA_DIR. Every request must be judged exactly as the
generator intended. Records of a schema no Exchange reader can read are
dead-lettered, each with a reason naming its fingerprint and the incompatibility.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import storage
from streams.schemas import fingerprint_of
from streams.synthetic import generate
from tests.evolution import encode_as, incompatible_schema, newer_schema, older_schema
from tests.integration.topics import read_topic
from tests.integration.worker_harness import Worker, publish_records, settle, worker_env

PAIRS = 200
INCOMPATIBLE = 5
GRACE_S = 10.0  # past the generator's 3 s timeouts: an errored side arrives that late


@pytest.fixture
def env(
    kafka_bootstrap: str, fresh_database: str, topic_prefix: str, tmp_path: Path
) -> dict[str, str]:
    storage.upgrade(fresh_database)
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    for name, schema in (
        ("newer", newer_schema()),
        ("older", older_schema()),
        ("incompatible", incompatible_schema()),
    ):
        (schemas / f"{name}.avsc").write_text(json.dumps(schema))
    return {
        **worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S),
        "SCHEMA_DIR": str(schemas),
    }


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()


def test_records_of_newer_and_older_schemas_are_judged(worker: Worker, env: dict[str, str]) -> None:
    bootstrap, topic = env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"]
    traffic = generate(PAIRS, seed=31, start=datetime.now(UTC))
    records = [
        (
            e.request_id.encode(),
            encode_as(e, newer_schema() if e.side == "primary" else older_schema()),
        )
        for e in traffic.exchanges
    ]
    bad = {
        f"incompatible-{n}".encode(): encode_as(traffic.exchanges[n], incompatible_schema())
        for n in range(INCOMPATIBLE)
    }
    asyncio.run(publish_records(bootstrap, topic, [*records, *bad.items()]))

    worker.start()
    engine = storage.connect(env["DATABASE_URL"])
    result = settle(engine, worker, traffic.truth, len(records))
    assert result.exact, f"{result.explain()}\n{worker.tail()}"
    assert result.rows == len(traffic.truth)

    letters = asyncio.run(read_topic(bootstrap, env["DEADLETTER_TOPIC"], len(bad)))
    assert {letter.key: letter.value for letter in letters} == bad
    fingerprint = fingerprint_of(incompatible_schema()).hex()
    for letter in letters:
        headers = dict(letter.headers)
        assert headers["shadowdiff-failure"] == b"incompatible_schema"
        reason = headers["shadowdiff-reason"].decode()
        assert f"fingerprint {fingerprint}" in reason
        assert "Exchange.status: the writer's string matches no branch of [null, int]" in reason
