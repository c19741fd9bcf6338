"""The blocking publisher for WSGI gateways, on a real broker and on none at all."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

from gateway.sync_publisher import SyncPublisher
from services._process import free_port
from streams.codec import decode
from streams.exchange import Exchange
from tests.integration.topics import read_topic


def exchanges(count: int) -> list[Exchange]:
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    return [
        Exchange(
            request_id=f"r{n // 2}",
            side="primary" if n % 2 == 0 else "candidate",
            endpoint="GET /users/{id}",
            method="GET",
            path=f"/users/{n // 2}",
            started_at=start + timedelta(milliseconds=n),
            status=200,
            response_headers={"content-type": "application/json"},
            response_body=b'{"id": %d}' % (n // 2),
            content_type="application/json",
        )
        for n in range(count)
    ]


def test_exchanges_from_many_threads_all_land(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic = f"{topic_prefix}.exchanges"
    sent = exchanges(200)
    with SyncPublisher(kafka_bootstrap, topic=topic) as publisher:
        threads = [
            threading.Thread(target=lambda part=sent[i::4]: [publisher.publish(e) for e in part])
            for i in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert publisher.flush(timeout_s=60)
        assert (publisher.published, publisher.dropped) == (200, 0)
    records = asyncio.run(read_topic(kafka_bootstrap, topic, 200))
    received = sorted((decode(r.value) for r in records), key=lambda e: e.started_at)
    assert received == sent
    assert all(r.key == decode(r.value).request_id.encode() for r in records)


def test_without_kafka_publish_returns_and_counts_what_it_drops() -> None:
    publisher = SyncPublisher(f"127.0.0.1:{free_port()}", queue_size=10)
    for exchange in exchanges(30):
        publisher.publish(exchange)
    assert not publisher.flush(timeout_s=1.0)  # nothing can be acknowledged
    assert publisher.dropped == 20  # past the queue's bound
    publisher.close(timeout_s=1.0)
    assert (publisher.published, publisher.dropped) == (0, 30)  # the queued ten at close
