"""Helpers for tests that run `shadowdiff worker` subprocesses against real services.

- `Worker`: one worker subprocess, its log in a file for failure messages.
- `rows` / `wait_for_rows`: how many verdicts the database holds, and a bounded wait.
- `ChunkedPublisher`: publishes traffic chunk by chunk from a background thread, so a
  fault can be injected while the stream is still flowing.
- `Tally` / `tally`: what the database holds, checked against the generator's truth;
  `settle`: wait for every request's verdict, then tally.
- `publish_records`: raw (key, value) records, as a gateway of another build sends them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer
from sqlalchemy import Engine, text

import storage
from storage.models import LIVE_RUN
from streams.exchange import Exchange
from streams.publisher import Publisher
from streams.synthetic import Fate
from streams.topics import ensure_topics
from tests import rollup_recount

# A killed worker's partitions move once its consumer-group session expires;
# Faust's default of 60 s would make every kill test wait a minute for it.
SESSION_TIMEOUT_S = 10.0


def worker_env(
    bootstrap: str, database_url: str, topic_prefix: str, grace_s: float
) -> dict[str, str]:
    """Environment for `shadowdiff worker` on its own topics, group and database."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": database_url,
        "EXCHANGES_TOPIC": f"{topic_prefix}.exchanges",
        "COMPARISONS_TOPIC": f"{topic_prefix}.comparisons",
        "DEADLETTER_TOPIC": f"{topic_prefix}.deadletter",
        "ALERTS_TOPIC": f"{topic_prefix}.alerts",
        "WORKER_ID": f"{topic_prefix}-worker",
        "GRACE_PERIOD_S": str(grace_s),
        "TICK_INTERVAL_S": "1",
        "BROKER_SESSION_TIMEOUT": str(SESSION_TIMEOUT_S),
        "BROKER_HEARTBEAT_INTERVAL": "2",
        # Workers of parallel tests share the host: none serves metrics unless asked.
        "METRICS_PORT": "0",
    }


def gateway_env(
    bootstrap: str, database_url: str, topic_prefix: str, grace_s: float
) -> dict[str, str]:
    """`worker_env` on a migrated database, its exchanges topic created with 4 partitions.

    For tests whose records come from a gateway (which could otherwise create the
    topic with the broker's default partition count before the worker starts).
    """
    storage.upgrade(database_url)
    env = worker_env(bootstrap, database_url, topic_prefix, grace_s)
    asyncio.run(ensure_topics([bootstrap], {env["EXCHANGES_TOPIC"]: 4}))
    return env


class Worker:
    """`shadowdiff worker` in a subprocess, its log in a file for the failure message."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n===== start #{self.starts} =====\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shadowdiff", "worker", "--loglevel", "warning"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def tail(self, chars: int = 4000) -> str:
        if not self.log.exists():
            return "(no log)"
        return f"--- {self.log.name} ---\n" + self.log.read_text(errors="replace")[-chars:]


def rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM comparisons")).scalar_one())


def wait_for_rows(engine: Engine, at_least: int, worker: Worker, timeout_s: float) -> int:
    """Wait until `at_least` rows are stored or `timeout_s` passed; the worker must stay up."""
    deadline = time.monotonic() + timeout_s
    count = rows(engine)
    while count < at_least and time.monotonic() < deadline:
        assert worker.process is not None and worker.process.poll() is None, worker.tail()
        time.sleep(0.5)
        count = rows(engine)
    return count


class ChunkedPublisher:
    """Publishes exchanges in chunks with a pause between them, from a background thread.

    `join()` waits for the end and re-raises whatever failed in the thread, so a test
    never mistakes a publishing failure for a worker's.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        exchanges: Sequence[Exchange],
        *,
        chunk: int,
        pause_s: float,
    ) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.exchanges, self.chunk, self.pause_s = exchanges, chunk, pause_s
        self.published = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="chunked-publisher", daemon=True)

    def start(self) -> ChunkedPublisher:
        self._thread.start()
        return self

    def join(self, timeout_s: float = 300.0) -> None:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), f"publishing still running after {timeout_s}s"
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            asyncio.run(self._publish())
        except BaseException as error:  # handed to join()
            self.error = error

    async def _publish(self) -> None:
        async with Publisher(self.bootstrap, topic=self.topic) as publisher:
            for begin in range(0, len(self.exchanges), self.chunk):
                await publisher.publish_many(self.exchanges[begin : begin + self.chunk])
                self.published = publisher.published
                await asyncio.sleep(self.pause_s)


async def publish(bootstrap: str, topic: str, exchanges: Sequence[Exchange]) -> None:
    async with Publisher(bootstrap, topic=topic) as publisher:
        await publisher.publish_many(exchanges)


async def publish_raw(bootstrap: str, topic: str, records: Mapping[bytes, bytes]) -> None:
    """Publish bytes as they are (key -> value), as a broken gateway might."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for key, value in records.items():
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


@dataclass(frozen=True, slots=True)
class Tally:
    """What the database holds, measured against the truth of the traffic published."""

    records: int
    rows: int
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    wrong: tuple[tuple[str, str, str | None], ...]  # (request_id, expected, stored)
    signature_counts: Mapping[tuple[str, str], int]
    rows_per_signature: Mapping[tuple[str, str], int]
    rollups_exact: bool
    """The minute rollups equal a recount of the stored rows."""

    @property
    def duplicated(self) -> int:
        """Verdicts counted more than once: signature counts past the rows behind them."""
        over = 0
        for key, count in self.signature_counts.items():
            over += max(0, count - self.rows_per_signature.get(key, 0))
        return over

    @property
    def exact(self) -> bool:
        return (
            not self.missing
            and not self.extra
            and not self.wrong
            and dict(self.signature_counts) == dict(self.rows_per_signature)
            and self.rollups_exact
        )

    def summary(self) -> str:
        return (
            f"records={self.records} rows={self.rows} lost={len(self.missing)} "
            f"extra={len(self.extra)} wrong={len(self.wrong)} duplicated={self.duplicated} "
            f"rollups_exact={self.rollups_exact}"
        )

    def explain(self) -> str:
        mismatched = {
            k: (self.signature_counts.get(k), self.rows_per_signature.get(k))
            for k in set(self.signature_counts) | set(self.rows_per_signature)
            if self.signature_counts.get(k) != self.rows_per_signature.get(k)
        }
        return (
            f"{self.summary()}\nmissing (first 5): {list(self.missing[:5])}\n"
            f"extra (first 5): {list(self.extra[:5])}\nwrong (first 5): {list(self.wrong[:5])}\n"
            f"signature count vs rows (first 5): {list(mismatched.items())[:5]}"
        )


def tally(engine: Engine, truth: Mapping[str, Fate], records: int) -> Tally:
    """Read every stored verdict and signature and compare them with `truth`."""
    with engine.connect() as connection:
        stored = {
            str(rid): str(verdict)
            for rid, verdict in connection.execute(
                text("SELECT request_id, verdict FROM comparisons")
            )
        }
        count = int(connection.execute(text("SELECT count(*) FROM comparisons")).scalar_one())
        signature_counts = {
            (str(s), str(e)): int(c)
            for s, e, c in connection.execute(
                text("SELECT signature, endpoint, count FROM signatures")
            )
        }
        rows_per_signature = Counter(
            (str(s), str(e))
            for s, e in connection.execute(
                text("SELECT signature, endpoint FROM comparisons WHERE signature IS NOT NULL")
            )
        )
    return Tally(
        records=records,
        rows=count,
        missing=tuple(sorted(set(truth) - set(stored))),
        extra=tuple(sorted(set(stored) - set(truth))),
        wrong=tuple(
            (rid, fate.expected, stored[rid])
            for rid, fate in sorted(truth.items())
            if rid in stored and stored[rid] != fate.expected
        ),
        signature_counts=signature_counts,
        rows_per_signature=dict(rows_per_signature),
        rollups_exact=rollup_recount.stored(engine, LIVE_RUN)
        == rollup_recount.recounted(engine, LIVE_RUN),
    )


def settle(
    engine: Engine,
    worker: Worker,
    truth: Mapping[str, Fate],
    records: int,
    *,
    timeout_s: float = 180.0,
    quiet_s: float = 5.0,
) -> Tally:
    """Wait until every request of `truth` has a verdict (then `quiet_s` more, long enough
    for a duplicate to show), and tally the database against `truth`."""
    wait_for_rows(engine, len(truth), worker, timeout_s)
    time.sleep(quiet_s)
    return tally(engine, truth, records)


async def publish_records(
    bootstrap: str, topic: str, records: Sequence[tuple[bytes, bytes]]
) -> None:
    """Publish (key, value) records as they are, in order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
