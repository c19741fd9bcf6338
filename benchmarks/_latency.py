"""Publish-to-stored latency of the worker under a steady load below its maximum.

A worker is started on a fresh topic and database and warmed up (a few hundred
requests, waited for until stored). Then requests are published, in the
generator's order, at a fixed record rate for a fixed time; for each request
whose both sides are published, the latency is from the moment its second side
was handed to the producer to the row's `stored_at`. Both clocks are this
machine's wall clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

import storage
from benchmarks._child import Child
from benchmarks._worker import worker_child
from streams.exchange import Exchange
from streams.publisher import Publisher
from streams.synthetic import Traffic, generate
from streams.topics import ensure_topics

WARMUP_REQUESTS = 300
SETTLE_TIMEOUT_S = 180.0


@dataclass(frozen=True, slots=True)
class Latency:
    """What one latency run measured."""

    target_records_per_s: float
    achieved_records_per_s: float
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    p50_first_quarter_ms: float
    p50_last_quarter_ms: float

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("latency_target_records_per_s", f"{self.target_records_per_s:.0f}"),
            ("latency_achieved_records_per_s", f"{self.achieved_records_per_s:.0f}"),
            ("latency_samples", str(self.samples)),
            ("latency_p50_ms", f"{self.p50_ms:.0f}"),
            ("latency_p99_ms", f"{self.p99_ms:.0f}"),
            ("latency_max_ms", f"{self.max_ms:.0f}"),
            # Equal halves of these mean the worker kept up; a growing one, a backlog.
            ("latency_p50_first_quarter_ms", f"{self.p50_first_quarter_ms:.0f}"),
            ("latency_p50_last_quarter_ms", f"{self.p50_last_quarter_ms:.0f}"),
        ]


def _paired(traffic: Traffic) -> set[str]:
    return {rid for rid, fate in traffic.truth.items() if not fate.expected.startswith("missing")}


def _stored_at(engine: Engine) -> dict[str, datetime]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT request_id, stored_at FROM comparisons"))
        return {rid: at for rid, at in rows}


async def _paced(
    bootstrap: str, topic: str, exchanges: Sequence[Exchange], records_per_s: float
) -> tuple[dict[str, float], float]:
    """Publish at `records_per_s`; (request id -> when its second side was sent, seconds)."""
    first_sent: dict[tuple[str, str], float] = {}
    second_side: dict[str, float] = {}
    seen_sides: dict[str, int] = {}
    async with Publisher(bootstrap, topic=topic) as publisher:
        began = time.monotonic()
        for i, exchange in enumerate(exchanges):
            delay = began + i / records_per_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await publisher.publish(exchange)
            key = (exchange.request_id, exchange.side)
            if key in first_sent:
                continue  # a duplicate publish: the first one counts
            first_sent[key] = time.time()
            seen_sides[exchange.request_id] = seen_sides.get(exchange.request_id, 0) + 1
            if seen_sides[exchange.request_id] == 2:
                second_side[exchange.request_id] = first_sent[key]
        await publisher.flush()
        elapsed = time.monotonic() - began
    return second_side, elapsed


def _wait_stored(engine: Engine, wanted: set[str], worker: Child) -> dict[str, datetime]:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        stored = _stored_at(engine)
        if wanted <= stored.keys():
            return stored
        worker.check()
        if time.monotonic() > deadline:
            missing = len(wanted - stored.keys())
            raise TimeoutError(f"{missing} of {len(wanted)} requests never stored")
        time.sleep(0.5)


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def measure_latency(
    bootstrap: str,
    db_url: str,
    prefix: str,
    workdir: Path,
    *,
    records_per_s: float,
    seconds: float,
) -> Latency:
    """Run a worker on `<prefix>.exchanges` into `db_url` (migrated) and measure latency."""
    topic = f"{prefix}.exchanges"
    asyncio.run(ensure_topics([bootstrap], {topic: 4}))
    now = datetime.now(UTC)
    warmup = generate(WARMUP_REQUESTS, seed=101, start=now)
    per_request = len(warmup.exchanges) / len(warmup.truth)
    wanted_requests = max(1, round(records_per_s * seconds / per_request))
    traffic = generate(wanted_requests, seed=202, start=now)
    engine = storage.connect(db_url)
    try:
        with worker_child(bootstrap, db_url, topic, workdir, "latency") as child:
            asyncio.run(_paced(bootstrap, topic, warmup.exchanges, records_per_s))
            _wait_stored(engine, _paired(warmup), child)
            second_side, elapsed = asyncio.run(
                _paced(bootstrap, topic, traffic.exchanges, records_per_s)
            )
            stored = _wait_stored(engine, _paired(traffic) & second_side.keys(), child)
    finally:
        engine.dispose()
    in_publish_order = [
        (stored[rid].timestamp() - sent) * 1000.0
        for rid, sent in sorted(second_side.items(), key=lambda item: item[1])
        if rid in stored
    ]
    quarter = max(1, len(in_publish_order) // 4)
    latencies = sorted(in_publish_order)
    return Latency(
        target_records_per_s=records_per_s,
        achieved_records_per_s=len(traffic.exchanges) / elapsed,
        samples=len(latencies),
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=latencies[-1],
        p50_first_quarter_ms=_percentile(sorted(in_publish_order[:quarter]), 0.5),
        p50_last_quarter_ms=_percentile(sorted(in_publish_order[-quarter:]), 0.5),
    )
