"""Confluent-framed records whose writer schemas are in a real schema registry.

The schemas are registered in a real registry (Apicurio Registry, which the test
setup builds from Maven Central and starts, or SCHEMA_REGISTRY_URL) exactly as a
gateway's serializer registers them; the worker is given the registry's URL and
no schema id. Primaries are written with a newer schema (one optional field
more), candidates with the current one: every request must be judged exactly.
Records of a registered schema the worker cannot read, and of an id the registry
does not have, are dead-lettered with reasons naming the id.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import storage
from streams.codec import SCHEMA_JSON, encode
from streams.synthetic import generate
from tests.evolution import encode_as, incompatible_schema, newer_schema
from tests.integration.topics import read_topic
from tests.integration.worker_harness import Worker, publish_records, settle, worker_env

PAIRS = 150
GRACE_S = 10.0  # past the generator's 3 s timeouts: an errored side arrives that late
UNREGISTERED_ID = 987_654


def register(registry: str, subject: str, schema: dict[str, Any]) -> int:
    """Register `schema` under `subject` as a Confluent serializer does; its id."""
    request = urllib.request.Request(
        f"{registry}/subjects/{subject}/versions",
        data=json.dumps({"schema": json.dumps(schema)}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.loads(response.read())["id"])


@pytest.fixture
def env(
    kafka_bootstrap: str, fresh_database: str, topic_prefix: str, schema_registry_url: str
) -> dict[str, str]:
    storage.upgrade(fresh_database)
    env = worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S)
    env.pop("CONFLUENT_SCHEMA_ID", None)
    return {**env, "SCHEMA_REGISTRY_URL": schema_registry_url}


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()


def test_confluent_records_are_judged_with_schemas_from_the_registry(
    worker: Worker, env: dict[str, str], topic_prefix: str
) -> None:
    registry = env["SCHEMA_REGISTRY_URL"]
    bootstrap, topic = env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"]
    current = register(registry, f"{topic_prefix}-current", SCHEMA_JSON)
    newer = register(registry, f"{topic_prefix}-newer", newer_schema())
    bad = register(registry, f"{topic_prefix}-incompatible", incompatible_schema())
    assert len({current, newer, bad, UNREGISTERED_ID}) == 4

    traffic = generate(PAIRS, seed=41, start=datetime.now(UTC))
    records = [
        (
            e.request_id.encode(),
            encode_as(e, newer_schema(), schema_id=newer)
            if e.side == "primary"
            else encode(e, framing="confluent", schema_id=current),
        )
        for e in traffic.exchanges
    ]
    refused = {
        b"incompatible-1": encode_as(traffic.exchanges[0], incompatible_schema(), schema_id=bad),
        b"incompatible-2": encode_as(traffic.exchanges[1], incompatible_schema(), schema_id=bad),
        b"unregistered": encode(
            traffic.exchanges[2], framing="confluent", schema_id=UNREGISTERED_ID
        ),
    }
    asyncio.run(publish_records(bootstrap, topic, [*records, *refused.items()]))

    worker.start()
    engine = storage.connect(env["DATABASE_URL"])
    result = settle(engine, worker, traffic.truth, len(records))
    assert result.exact, f"{result.explain()}\n{worker.tail()}"
    assert result.rows == len(traffic.truth)

    letters = asyncio.run(read_topic(bootstrap, env["DEADLETTER_TOPIC"], len(refused)))
    assert {letter.key: letter.value for letter in letters} == refused
    reasons = {letter.key: dict(letter.headers) for letter in letters}
    for key in (b"incompatible-1", b"incompatible-2"):
        assert reasons[key]["shadowdiff-failure"] == b"incompatible_schema"
        reason = reasons[key]["shadowdiff-reason"].decode()
        assert f"writer schema id {bad} (from {registry})" in reason
        assert "Exchange.status: the writer's string matches no branch of [null, int]" in reason
    assert reasons[b"unregistered"]["shadowdiff-failure"] == b"unknown_schema"
    assert (
        f"has no schema id {UNREGISTERED_ID}"
        in reasons[b"unregistered"]["shadowdiff-reason"].decode()
    )
