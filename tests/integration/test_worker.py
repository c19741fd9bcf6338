"""The worker on real Kafka and PostgreSQL: every request judged exactly once, through a kill.

1,000 generated requests (pairs with known differences, orphans, duplicates,
out-of-order sides) are published in two halves, the second with Confluent
framing; the worker is SIGKILLed after the first half has started to land and
restarted. Afterwards the database must
hold exactly one row per request, each with the verdict the generator intended,
and signature counts equal to the rows behind them (nothing counted twice).
Values under a `redact` rule reach neither the database nor the comparisons topic.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

import storage
from storage.redaction import Redactor
from streams.codec import Framing, encode
from streams.exchange import Exchange
from streams.publisher import Publisher
from streams.results import decode_result
from streams.synthetic import generate
from tests.integration.topics import read_topic
from tests.integration.worker_harness import (
    Worker,
    publish_raw,
    rows,
    wait_for_rows,
    worker_env,
)

PAIRS = 1000
GRACE_S = 10.0  # past the generator's 3 s timeouts: an errored side arrives that late
SETTLE_TIMEOUT_S = 180.0


REDACTED_PATH = "/attempt_id"  # differs on every attempt pair of the generated traffic
SCHEMA_ID = 42  # the second half comes Confluent-framed, as from a registry-using gateway


@pytest.fixture
def env(
    kafka_bootstrap: str, fresh_database: str, topic_prefix: str, tmp_path: Path
) -> dict[str, str]:
    storage.upgrade(fresh_database)
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"default:\n  paths:\n    {REDACTED_PATH}: {{redact: true}}\n")
    return {
        **worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S),
        "RULES_FILE": str(rules),
        "SHADOWDIFF_REDACTION_KEY": "worker-test-key",
        "CONFLUENT_SCHEMA_ID": str(SCHEMA_ID),
    }


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()


async def publish(
    bootstrap: str, topic: str, exchanges: list[Exchange], schema_id: int | None = None
) -> None:
    framing: Framing = "single-object" if schema_id is None else "confluent"
    async with Publisher(bootstrap, topic=topic, framing=framing, schema_id=schema_id) as publisher:
        await publisher.publish_many(exchanges)
        await publisher.flush()


def test_worker_judges_every_request_exactly_once_through_a_kill(
    worker: Worker, env: dict[str, str]
) -> None:
    traffic = generate(PAIRS, seed=11, start=datetime.now(UTC))
    exchanges = traffic.exchanges
    half = len(exchanges) // 2
    bootstrap, topic = env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"]
    engine = storage.connect(env["DATABASE_URL"])

    asyncio.run(publish(bootstrap, topic, exchanges[:half]))
    worker.start()
    landed = wait_for_rows(engine, 100, worker, SETTLE_TIMEOUT_S)
    assert landed >= 100, f"no rows landed before the kill\n{worker.tail()}"
    worker.kill()

    bad = {
        b"garbage": b"not avro at all",
        b"truncated": encode(exchanges[0])[:20],
        b"empty": b"",
    }
    asyncio.run(publish_raw(bootstrap, topic, bad))
    asyncio.run(publish(bootstrap, topic, exchanges[half:], schema_id=SCHEMA_ID))
    worker.start()
    expected = len(traffic.truth)
    count = wait_for_rows(engine, expected, worker, SETTLE_TIMEOUT_S)
    time.sleep(5)  # anything extra (a duplicate) would have landed by now
    count = rows(engine)
    assert count == expected, f"{count} rows for {expected} requests\n{worker.tail()}"

    with engine.connect() as connection:
        stored = {
            rid: verdict
            for rid, verdict in connection.execute(
                text("SELECT request_id, verdict FROM comparisons")
            )
        }
        signature_counts = {
            signature: count
            for signature, count in connection.execute(
                text("SELECT signature, count FROM signatures")
            )
        }
        rows_per_signature = Counter(
            s
            for (s,) in connection.execute(
                text("SELECT signature FROM comparisons WHERE signature IS NOT NULL")
            )
        )
    wrong = {
        rid: (fate.expected, stored.get(rid))
        for rid, fate in traffic.truth.items()
        if stored.get(rid) != fate.expected
    }
    assert not wrong, f"{len(wrong)} judged otherwise than intended: {list(wrong.items())[:5]}"
    assert signature_counts == dict(rows_per_signature)
    # The bad records went to the dead-letter topic, with their reasons, and nothing else did.
    letters = asyncio.run(read_topic(bootstrap, env["DEADLETTER_TOPIC"], len(bad)))
    assert {r.key: r.value for r in letters} == bad
    for letter in letters:
        headers = dict(letter.headers)
        assert headers["shadowdiff-reason"], "a dead letter must say why"
        assert headers["shadowdiff-failure"] in (b"bad_marker", b"undecodable", b"empty")
    # Every stored verdict was also published (at least once: a replay may repeat one).
    published = asyncio.run(read_topic(bootstrap, env["COMPARISONS_TOPIC"], expected))
    assert {decode_result(r.value).request_id for r in published} == set(stored)
    verdicts = Counter(stored.values())
    assert verdicts["match"] > 0 and verdicts["mismatch"] > 0
    assert verdicts["missing_primary"] + verdicts["missing_candidate"] > 0

    # Redacted values: the same keyed hash on the topic and in the database.
    redactor = Redactor(env["SHADOWDIFF_REDACTION_KEY"])
    originals = {
        e.request_id: json.loads(e.response_body)["attempt_id"]
        for e in exchanges
        if e.side == "primary" and b'"attempt_id"' in e.response_body
    }
    on_topic = {
        result.request_id: d.primary
        for result in map(decode_result, (r.value for r in published))
        for d in result.comparison.differences
        if d.path == REDACTED_PATH
    }
    assert on_topic, "the traffic should have attempt IDs that differ"
    assert on_topic == {rid: redactor.marker(originals[rid]) for rid in on_topic}
    with engine.connect() as connection:
        in_database = {
            rid: json.loads(value)
            for rid, value in connection.execute(
                text("SELECT request_id, primary_value FROM differences WHERE path = :p"),
                {"p": REDACTED_PATH},
            )
        }
    assert in_database == on_topic
    # And no attempt ID of either side appears anywhere in clear.
    secrets = {
        json.loads(e.response_body)["attempt_id"].encode()
        for e in exchanges
        if b'"attempt_id"' in e.response_body
    }
    with engine.connect() as connection:
        stored_text = b"\n".join(
            " ".join(map(str, row)).encode()
            for row in connection.execute(
                text("SELECT path, primary_value, candidate_value FROM differences")
            )
        )
    for haystack in (stored_text, *(r.value for r in published)):
        assert not [s for s in secrets if s in haystack]
