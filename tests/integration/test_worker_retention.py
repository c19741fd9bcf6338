"""The worker leader's retention timer on real Kafka and PostgreSQL.

`db prune` and `storage.retention` are tested on their own; this proves the
running worker does it by itself when `RETAIN_RAW` is set: traffic five days
old and traffic from the last minutes go through one worker that keeps raw
rows for two days. The old day's raw rows go (its whole partition), its
rollups stay and still count every old request, the recent rows stay, and the
cut is recorded so queries over it say "pruned" instead of "no traffic".
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

import storage
from streams.synthetic import generate
from tests.integration.worker_harness import Worker, publish, worker_env

GRACE_S = 5.0
WAIT_S = 180.0
KEEP_RAW = timedelta(days=2)


def test_the_leader_prunes_old_raw_rows_and_keeps_their_rollups(
    kafka_bootstrap: str, fresh_database: str, topic_prefix: str, tmp_path: Path
) -> None:
    storage.upgrade(fresh_database)
    engine = storage.connect(fresh_database)
    now = datetime.now(UTC)
    old = generate(300, seed=11, start=now - timedelta(days=5))
    recent = generate(300, seed=12, start=now - timedelta(minutes=10))
    env = {
        **worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S),
        "RETAIN_RAW": "2d",
        "RETENTION_INTERVAL_S": "1",
        "TMPDIR": str(tmp_path),
    }
    worker = Worker(env, tmp_path / "worker.log")
    cut = now - KEEP_RAW
    try:
        worker.start()
        exchanges = old.exchanges + recent.exchanges
        asyncio.run(publish(kafka_bootstrap, env["EXCHANGES_TOPIC"], exchanges))
        # Old rows may land before or after a pass; either way the next pass takes them.
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            assert worker.alive, worker.tail()
            seen = _state(engine, cut)
            if seen == (0, len(recent.truth), len(old.truth)):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"(old raw, recent raw, old counted) = {seen}\n{worker.tail()}")
        with engine.connect() as connection:
            before = connection.execute(
                text("SELECT before FROM pruned WHERE data = 'raw'")
            ).scalar_one()
        marked = before if before.tzinfo else before.replace(tzinfo=UTC)
        assert now - timedelta(days=5) < marked <= cut
        assert "[ERROR]" not in worker.log.read_text(errors="replace"), worker.tail()
    finally:
        worker.stop()
        engine.dispose()


def _state(engine: Engine, cut: datetime) -> tuple[int, int, int]:
    """(raw rows before the cut, raw rows after it, requests the rollups count before it)."""
    with engine.connect() as connection:
        old_raw, recent_raw = connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE observed_at < :cut), "
                "count(*) FILTER (WHERE observed_at >= :cut) FROM comparisons"
            ),
            {"cut": cut},
        ).one()
        counted = connection.execute(
            text("SELECT coalesce(sum(total), 0) FROM endpoint_minutes WHERE minute < :cut"),
            {"cut": cut},
        ).scalar_one()
    return int(old_raw), int(recent_raw), int(counted)
