"""A secondary through the worker on real Kafka and PostgreSQL: Diffy's baseline, stored.

The gateway sends every request of one endpoint to a secondary too. The first
request is published alone, so the worker has seen a secondary on the
endpoint before the rest arrive (a worker learns it from the traffic); then
every request's pair waits for its secondary. Afterwards the rollups hold
Diffy's counts, the volatile path's signature is noise and the price bug's is
not, and the endpoint without a secondary is judged as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage
from analysis.baseline import Baseline
from storage.secondary_report import baselines, secondary_of
from storage.signature_report import signature_report
from streams.synthetic.secondary import QUOTES, USERS, bugs, quotes, users
from tests.integration.worker_harness import Worker, publish, wait_for_rows, worker_env

pytestmark = pytest.mark.integration

COUNT = 200
GRACE_S = 5.0
SETTLE_TIMEOUT_S = 180.0


@pytest.fixture
def env(kafka_bootstrap: str, fresh_database: str, topic_prefix: str) -> dict[str, str]:
    storage.upgrade(fresh_database)
    return worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S)


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    w.start()
    yield w
    w.stop()


def test_the_worker_keeps_the_secondary_baseline_and_judges_noise_by_it(
    env: dict[str, str], worker: Worker, kafka_bootstrap: str
) -> None:
    engine = storage.connect(env["DATABASE_URL"])
    topic = env["EXCHANGES_TOPIC"]
    traffic = quotes(COUNT)
    asyncio.run(publish(kafka_bootstrap, topic, traffic[:3]))  # secondary first
    assert wait_for_rows(engine, 1, worker, SETTLE_TIMEOUT_S) == 1, worker.tail()
    asyncio.run(publish(kafka_bootstrap, topic, traffic[3:] + users(50)))
    stored = wait_for_rows(engine, COUNT + 50, worker, SETTLE_TIMEOUT_S)
    assert stored == COUNT + 50, worker.tail()

    assert baselines(engine) == {
        QUOTES: Baseline(COUNT, {"/generated_at": (COUNT, COUNT), "/price": (bugs(COUNT), 0)})
    }
    assert secondary_of(engine, "quotes-7") == frozenset({"/generated_at"})
    assert secondary_of(engine, "users-7") is None
    report = signature_report(engine)
    noise = {
        (s.endpoint, tuple(sorted(p for p, _ in s.paths))): (s.count, s.noise)
        for s in report.signatures
    }
    assert noise == {
        (QUOTES, ("/generated_at",)): (COUNT - bugs(COUNT), True),
        (QUOTES, ("/generated_at", "/price")): (bugs(COUNT), False),
        (USERS, ("/generated_at",)): (50, None),
    }
    engine.dispose()
