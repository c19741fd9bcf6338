"""The worker end to end on real Kafka and PostgreSQL, against two consumers that do nothing.

Starts a local broker and PostgreSQL server (the `services` package), generates
`BENCH_PAIRS` synthetic requests (default 30,000: shorter runs swing by 10%;
`streams.synthetic.generate`, its default mix: ~5% orphans with one side only,
~3% of sides published twice, so about 1.9 records per request) and publishes
them to a fresh topic of 4 partitions. Then, over the very same records, in this order:

- aiokafka: one `AIOKafkaConsumer` assigned all 4 partitions, a `getmany` loop
  that only counts records. `aiokafka_records_per_s` is the best of 3 passes,
  each timed from `seek_to_beginning` to the last record on a consumer already
  connected (connection set-up excluded, the fetches of each pass included).
- faust noop: a Faust app in its own process (`benchmarks._faust_noop`),
  configured like the worker, whose agent iterates `stream.events()` and only
  counts. `faust_noop_records_per_s` is (records - 1) over the wall time from its
  first event to its last (start-up and group join excluded).
- pipeline: `python -m shadowdiff worker` in its own process (grace 10 s, ticks
  every 1 s) on a freshly migrated database, until every request has its row.
  The worker writes each batch in one transaction stamped with one `stored_at`,
  so its span runs from the first batch's `stored_at` to the `stored_at` of the
  last batch holding a two-sided request, and counts the rows of every batch
  after the first: process start-up, group join and the first batch's judging
  are left out at the front, the orphans' grace-period tail at the back. Inside
  the span the worker does all of its work: decode, join, judge, write to
  Postgres, publish each verdict to the comparisons topic, acknowledge.
  `pipeline_pairs_per_s` is those rows (judged requests, 95% of them pairs) over
  the span; `pipeline_records_per_s` is that times the input records per
  request, the unit of the two baselines. The `*_s` lines are times since the
  worker process started, showing where the time goes.

`pipeline_vs_faust_noop` and `pipeline_vs_aiokafka` are pipeline records/s over
the baseline's records/s (the goal: at least 0.5 against the Faust agent).
That run serves no metrics; a second pipeline run on a fresh database serves
them (`/metrics`, scraped every second, far more often than Prometheus would)
and prints its own `pipeline_*_metrics_on` lines, with
`pipeline_vs_faust_noop_metrics_on` held to the same goal.

Latency: a second worker on a fresh topic and database, warmed up, while
requests are published at half the measured pipeline rate for `BENCH_LATENCY_S`
seconds (default 20). Per two-sided request: the wall time when its second side
was handed to the producer, to the row's `stored_at` (the writer's clock when it
began the batch's transaction, so the commit itself, a few ms, is not included).
Printed as p50/p99 in ms. Orphans are left out: they land after the grace period
by design.

Set BENCH_PROFILE=FILE (with py-spy on PATH) to sample the worker during the
throughput run into FILE (collapsed stacks).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import Engine, text

import storage
from benchmarks._child import Child
from benchmarks._latency import measure_latency
from benchmarks._services import cores, fresh_database, running
from benchmarks._worker import rows_stored, worker_child
from services._process import free_port
from streams.exchange import Exchange
from streams.publisher import Publisher
from streams.synthetic import generate
from streams.topics import ensure_topics

PARTITIONS = 4


def _pairs() -> int:
    return int(os.environ.get("BENCH_PAIRS", "30000"))


async def _publish(bootstrap: str, topic: str, exchanges: Sequence[Exchange]) -> None:
    await ensure_topics([bootstrap], {topic: PARTITIONS})
    async with Publisher(bootstrap, topic=topic) as publisher:
        await publisher.publish_many(exchanges)


async def _aiokafka_rate(bootstrap: str, topic: str, expected: int, passes: int = 3) -> float:
    """Best records/s of `passes` `getmany` passes over the topic, each timed from the
    seek to the beginning to the last record, on one already connected consumer."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        best = 0.0
        for _ in range(passes):
            await consumer.seek_to_beginning()
            began, seen = time.perf_counter(), 0
            while seen < expected:
                batch = await consumer.getmany(timeout_ms=1000)
                seen += sum(len(records) for records in batch.values())
            best = max(best, seen / (time.perf_counter() - began))
        return best
    finally:
        await consumer.stop()


def _faust_noop(bootstrap: str, topic: str, expected: int, workdir: Path) -> tuple[float, float]:
    """(records/s from first event to last, seconds from process start to first event)."""
    report = workdir / "noop.json"
    env = {
        **os.environ,
        "NOOP_BROKER": bootstrap,
        "NOOP_TOPIC": topic,
        "NOOP_EXPECTED": str(expected),
        "NOOP_REPORT": str(report),
        "NOOP_APP_ID": f"bench-noop-{uuid.uuid4().hex[:8]}",
        "NOOP_DATADIR": str(workdir / "noop-data"),
    }
    started = time.time()
    with Child("benchmarks._faust_noop", [], env, workdir / "noop.log") as child:
        child.wait_for(lambda: report.read_text() if report.exists() else None, timeout_s=180)
    summary = json.loads(report.read_text())
    span = summary["last"] - summary["first"]
    return (summary["count"] - 1) / span, summary["first"] - started


def _commit_times(engine: Engine, paired: set[str]) -> tuple[int, datetime, datetime]:
    """(rows of the batches after the first, up to the last paired batch; the first
    batch's commit time; the last paired batch's commit time).

    Rows committed after the last paired row are the orphans' grace-period tail."""
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT request_id, stored_at FROM comparisons")).all()
    first = min(at for _, at in stored)
    last = max(at for rid, at in stored if rid in paired)
    return sum(1 for _, at in stored if first < at <= last), first, last


def _profile(pid: int, out: str) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy")
    if spy is None:
        print("profile: py-spy not found on PATH, not profiling")
        return None
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--format", "raw", "--output", out, "--rate", "200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class _Scraper:
    """GETs a worker's `/metrics` every `every_s` from a thread, until stopped."""

    def __init__(self, port: int, every_s: float = 1.0) -> None:
        self.url, self.every_s = f"http://127.0.0.1:{port}/metrics", every_s
        self.scrapes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scraper", daemon=True)

    def __enter__(self) -> _Scraper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    response.read()
                self.scrapes += 1
            except OSError:
                continue  # not serving yet


@dataclass(frozen=True, slots=True)
class _WorkerRun:
    """Seconds since the worker process started, and rows, of one throughput run."""

    first_row_s: float
    last_row_s: float
    rows: int
    scrapes: int = 0

    @property
    def pairs_per_s(self) -> float:
        return self.rows / (self.last_row_s - self.first_row_s)


def _run_worker(
    bootstrap: str,
    db_url: str,
    topic: str,
    expected: int,
    paired: set[str],
    workdir: Path,
    *,
    metrics: bool = False,
) -> _WorkerRun:
    engine = storage.connect(db_url)
    started = time.time()
    profile_to = os.environ.get("BENCH_PROFILE")
    port = free_port() if metrics else 0
    label = "throughput-metrics" if metrics else "throughput"
    with (
        worker_child(bootstrap, db_url, topic, workdir, label, metrics_port=port) as child,
        _Scraper(port) if metrics else contextlib.nullcontext() as scraper,
    ):
        spy = _profile(child.pid, profile_to) if profile_to and not metrics else None
        try:
            child.wait_for(
                lambda: True if rows_stored(engine) >= expected else None,
                timeout_s=600,
                every_s=0.25,
            )
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT only
                spy.wait(60)
    rows, first_row, last_row = _commit_times(engine, paired)
    engine.dispose()
    return _WorkerRun(
        first_row_s=first_row.timestamp() - started,
        last_row_s=last_row.timestamp() - started,
        rows=rows,
        scrapes=scraper.scrapes if scraper is not None else 0,
    )


def main() -> None:
    pairs = _pairs()
    print(
        f"measuring: shadowdiff worker end to end vs a do-nothing Faust agent and an aiokafka "
        f"getmany loop over the same {pairs} generated requests (4 partitions), and latency "
        f"at half rate; cores: {cores()}",
        flush=True,
    )
    traffic = generate(pairs, seed=7, start=datetime.now(UTC))
    records = len(traffic.exchanges)
    requests = len(traffic.truth)
    paired = {rid for rid, fate in traffic.truth.items() if not fate.expected.startswith("missing")}
    run = uuid.uuid4().hex[:8]
    topic = f"bench-{run}.exchanges"
    with (
        running(kafka=True, postgres=True, partitions=PARTITIONS) as services,
        tempfile.TemporaryDirectory(prefix="shadowdiff-bench-") as tmp,
    ):
        assert services.bootstrap is not None and services.postgres_url is not None
        bootstrap, workdir = services.bootstrap, Path(tmp)
        began = time.perf_counter()
        asyncio.run(_publish(bootstrap, topic, traffic.exchanges))
        publish_s = time.perf_counter() - began
        print(f"input_requests: {requests}")
        print(f"input_records: {records}")
        print(f"records_per_request: {records / requests:.3f}")
        print(f"publish_records_per_s: {records / publish_s:.0f}", flush=True)

        aiokafka_rate = asyncio.run(_aiokafka_rate(bootstrap, topic, records))
        print(f"aiokafka_records_per_s: {aiokafka_rate:.0f}", flush=True)

        noop_rate, noop_startup = _faust_noop(bootstrap, topic, records, workdir)
        print(f"faust_noop_records_per_s: {noop_rate:.0f}")
        print(f"faust_noop_startup_s: {noop_startup:.1f}", flush=True)

        with fresh_database(services.postgres_url) as db_url:
            worker = _run_worker(bootstrap, db_url, topic, requests, paired, workdir)
        records_rate = worker.pairs_per_s * records / requests
        print(f"pipeline_pairs_per_s: {worker.pairs_per_s:.0f}")
        print(f"pipeline_records_per_s: {records_rate:.0f}")
        print(f"pipeline_first_row_s: {worker.first_row_s:.1f}")
        print(f"pipeline_last_paired_row_s: {worker.last_row_s:.1f}")
        print(f"pipeline_vs_faust_noop: {records_rate / noop_rate:.3f}")
        print(f"pipeline_vs_aiokafka: {records_rate / aiokafka_rate:.4f}", flush=True)

        with fresh_database(services.postgres_url) as db_url:
            on = _run_worker(bootstrap, db_url, topic, requests, paired, workdir, metrics=True)
        on_rate = on.pairs_per_s * records / requests
        print(f"pipeline_pairs_per_s_metrics_on: {on.pairs_per_s:.0f}")
        print(f"pipeline_records_per_s_metrics_on: {on_rate:.0f}")
        print(f"pipeline_metrics_scrapes: {on.scrapes}")
        print(f"pipeline_vs_faust_noop_metrics_on: {on_rate / noop_rate:.3f}")
        print(f"pipeline_metrics_on_vs_off: {on_rate / records_rate:.3f}", flush=True)

        with fresh_database(services.postgres_url) as db_url:
            latency = measure_latency(
                bootstrap,
                db_url,
                f"bench-{run}.latency",
                workdir,
                records_per_s=records_rate / 2,
                seconds=float(os.environ.get("BENCH_LATENCY_S", "20")),
            )
        for name, value in latency.lines():
            print(f"{name}: {value}")
