"""A running worker's `/metrics` on real Kafka and PostgreSQL, checked against its traffic.

The counts scraped must equal what the database holds, by endpoint and verdict
and by endpoint and kind; dead letters by failure code must equal the bad
records published. Then the worker is SIGKILLed while orphans still hold its
committed offsets back, and restarted: it re-reads pairs it had stored, and its
counters must count only the verdicts it actually inserted.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

import storage
from services._process import free_port
from streams import metrics_http
from streams.metrics import WorkerMetrics
from streams.synthetic import generate
from tests.integration.topics import read_topic
from tests.integration.worker_harness import (
    Worker,
    publish,
    publish_raw,
    rows,
    wait_for_rows,
    worker_env,
)

GRACE_S = 10.0
SETTLE_TIMEOUT_S = 180.0
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def env(kafka_bootstrap: str, fresh_database: str, topic_prefix: str) -> dict[str, str]:
    storage.upgrade(fresh_database)
    return {
        **worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S),
        "METRICS_PORT": str(free_port()),
    }


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()


def scrape(port: str) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        body = response.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def by(samples: Samples, name: str, *labels: str) -> dict[tuple[str, ...], float]:
    return {
        tuple(dict(found)[label] for label in labels): value
        for (metric, found), value in samples.items()
        if metric == name
    }


def total(samples: Samples, name: str) -> float:
    return sum(value for (metric, _), value in samples.items() if metric == name)


def scrape_until(port: str, worker: Worker, at_least: int, timeout_s: float = 60.0) -> Samples:
    """Scrape until the comparisons counted reach `at_least`, or `timeout_s` passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert worker.alive, worker.tail()
        try:
            samples = scrape(port)
        except OSError:  # not serving yet
            samples = {}
        counted = total(samples, "shadowdiff_comparisons_total")
        if counted >= at_least or time.monotonic() > deadline:
            return samples
        time.sleep(0.5)


def stored_counts(
    engine: Engine,
) -> tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], float]]:
    with engine.connect() as connection:
        verdicts = {
            (str(e), str(v)): float(n)
            for e, v, n in connection.execute(
                text("SELECT endpoint, verdict, count(*) FROM comparisons GROUP BY 1, 2")
            )
        }
        kinds = {
            (str(e), str(k)): float(n)
            for e, k, n in connection.execute(
                text(
                    "SELECT c.endpoint, d.kind, count(*) FROM differences d JOIN comparisons c"
                    " USING (run_id, request_id) GROUP BY 1, 2"
                )
            )
        }
    return verdicts, kinds


def test_metrics_count_the_traffic_and_a_restarted_worker_counts_no_replay(
    worker: Worker, env: dict[str, str]
) -> None:
    bootstrap, topic, port = (
        env["KAFKA_BOOTSTRAP_SERVERS"],
        env["EXCHANGES_TOPIC"],
        env["METRICS_PORT"],
    )
    engine = storage.connect(env["DATABASE_URL"])
    first = generate(300, seed=21, start=datetime.now(UTC) - timedelta(minutes=5))
    bad = {b"garbage": b"not avro at all", b"empty": b""}
    asyncio.run(publish(bootstrap, topic, first.exchanges))
    asyncio.run(publish_raw(bootstrap, topic, bad))
    worker.start()
    expected = len(first.truth)
    assert wait_for_rows(engine, expected, worker, SETTLE_TIMEOUT_S) == expected, worker.tail()

    samples = scrape_until(port, worker, expected)
    verdicts, kinds = stored_counts(engine)
    assert by(samples, "shadowdiff_comparisons_total", "endpoint", "verdict") == verdicts
    assert by(samples, "shadowdiff_differences_total", "endpoint", "kind") == kinds
    letters = asyncio.run(read_topic(bootstrap, env["DEADLETTER_TOPIC"], len(bad)))
    failures = Counter(dict(r.headers)["shadowdiff-failure"].decode() for r in letters)
    assert by(samples, "shadowdiff_dead_letters_total", "failure") == {
        (code,): float(n) for code, n in failures.items()
    }
    # Wiring only: what each batch observes, and how the event-time lag is
    # computed, are unit-tested with a fixed clock (tests/unit/streams/test_metrics.py).
    # Here: one observation per stored batch, and a batch holds one verdict or more.
    stored_batches = samples[("shadowdiff_store_batch_duration_seconds_count", frozenset())]
    assert 1 <= stored_batches <= expected
    assert samples[("shadowdiff_store_retries_total", frozenset())] == 0
    assert ("shadowdiff_event_time_lag_seconds", frozenset()) in samples
    lag = by(samples, "shadowdiff_consumer_lag_records", "partition")
    assert set(lag) == {("0",), ("1",), ("2",), ("3",)}  # ticks reach every partition
    assert ("shadowdiff_join_pending_sides", frozenset()) in samples
    assert samples[("shadowdiff_join_early_evictions_total", frozenset())] == 0

    # Orphans of the second traffic wait for their grace period, holding the
    # committed offsets back: the restarted worker re-reads pairs it stored.
    second = generate(300, seed=22, start=datetime.now(UTC))
    paired = sum(1 for f in second.truth.values() if not f.expected.startswith("missing"))
    asyncio.run(publish(bootstrap, topic, second.exchanges))
    wait_for_rows(engine, expected + paired, worker, SETTLE_TIMEOUT_S)
    worker.kill()
    before_restart = rows(engine)
    assert before_restart < expected + len(second.truth), "the orphans were already stored"
    worker.start()
    everything = expected + len(second.truth)
    assert wait_for_rows(engine, everything, worker, SETTLE_TIMEOUT_S) == everything, worker.tail()
    samples = scrape_until(port, worker, everything - before_restart)
    time.sleep(3)  # a replay counted as new would have been counted by now
    samples = scrape(port)
    assert total(samples, "shadowdiff_comparisons_total") == everything - before_restart
    published = asyncio.run(read_topic(bootstrap, env["COMPARISONS_TOPIC"], everything))
    assert len(published) > everything, "the restarted worker should have re-judged stored pairs"


def test_a_metrics_port_in_use_is_refused_with_what_to_do() -> None:
    taken = metrics_http.bind(0, "127.0.0.1")
    try:
        port = taken.getsockname()[1]
        with pytest.raises(metrics_http.MetricsPortUnavailable, match="METRICS_PORT"):
            metrics_http.bind(port, "127.0.0.1")
    finally:
        taken.close()


def test_metrics_are_served_from_the_event_loop() -> None:
    metrics = WorkerMetrics()
    metrics.watch_dead_letters(lambda: {"empty": 3})
    sock = metrics_http.bind(0, "127.0.0.1")
    port = sock.getsockname()[1]

    async def scenario() -> str:
        runner = await metrics_http.serve(metrics.registry, sock)
        try:
            return await asyncio.to_thread(
                lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
            )
        finally:
            await runner.cleanup()

    body = asyncio.run(scenario())
    assert 'shadowdiff_dead_letters_total{failure="empty"} 3.0' in body
