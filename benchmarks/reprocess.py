"""Reprocessing from Kafka and from the archive, against the comparator alone and the worker.

Starts a local broker and PostgreSQL server, generates `BENCH_PAIRS` synthetic
requests (default 30,000, event times from now) and publishes them to a fresh
topic of 4 partitions. Then, over the very same records:

- comparator: the two-sided requests, joined in memory beforehand, through
  `comparator.compare` alone in one process (no decoding, no join, no store):
  `comparator_pairs_per_s`, best of 3 passes. The ceiling a reprocess aims at.
- pipeline: the live worker end to end, measured as `benchmarks.pipeline`
  measures it (`pipeline_pairs_per_s`, rows over the span of its batch commits).
- archive: `shadowdiff archive` (its consumer group) until it has caught up, the
  files closed: `archive_records_per_s` over the wall time from its start.
- reprocess: `reprocess --source kafka` and `--source DIR` (the archive just
  written), each with 1 and 2 worker processes, each into a fresh database,
  timed from the call to its return: group join, reads, decoding, the join,
  judging, writing and checkpoints included. `reprocess_{kafka,archive}_{1,2}_pairs_per_s`
  count judged requests (rows stored) per second of that wall time, best of 2
  (the machine's other load swings single runs by 2x);
  `..._pairs_per_cpu_s` per CPU second our processes spent in that run (the
  database server's not counted), steadier than wall time on a busy machine.

`reprocess_vs_comparator` (goal ≥ 0.5) and `reprocess_vs_pipeline` (goal ≥ 5)
take the best of the four reprocess rates (`reprocess_best` names it); the
ratio of every configuration follows.

Where the time goes: each step of a reprocess alone, in this process, over the
same requests, best of 2, as judged requests per second (`stage_*_pairs_per_s`):
`read_archive` (the archive's files read and decoded into exchanges),
`decode_kafka` (the Kafka records' bytes decoded, no network), `join`,
`judge` (comparator plus results), `write` (`ResultWriter.write` in batches of
the reprocess's batch size, into a fresh database, checkpoints left out),
`checkpoint` (one saved per batch), and `copy`: the same rows by bare binary
COPY (`benchmarks.writer`: no idempotence, no signatures, no rollups), the
ceiling any writer has on this machine. `stage_share_*` is each step's share of
a reprocess from the archive done one step after another on one core, and
`copy_vs_comparator` says how far the database alone is from the comparator.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import storage
from benchmarks._services import cores, fresh_database, running
from benchmarks.pipeline import PARTITIONS, _publish, _run_worker
from benchmarks.writer import write_with_copy, write_with_writer
from comparator import Result, RuleSet, compare
from storage.checkpoints import Checkpoint, save_checkpoint
from streams import codec
from streams.exchange import Exchange
from streams.join import JoinState, Orphan, Pair
from streams.judge import judge_orphan, judge_pair
from streams.replay.archiver import ArchiverConfig, run_archiver
from streams.replay.kafka_source import KafkaSource, reprocess_kafka
from streams.replay.reprocess import Outcome, Plan, reprocess, start_run
from streams.replay.sources import Window, open_source
from streams.synthetic import generate


def _pairs() -> int:
    return int(os.environ.get("BENCH_PAIRS", "30000"))


def _comparator_rate(exchanges: list[Exchange], rules: RuleSet, passes: int = 3) -> float:
    sides: dict[str, dict[str, Exchange]] = {}
    for exchange in exchanges:
        sides.setdefault(exchange.request_id, {}).setdefault(exchange.side, exchange)
    pairs = [
        (s["primary"].observation(), s["candidate"].observation(), s["primary"].endpoint)
        for s in sides.values()
        if "primary" in s and "candidate" in s
    ]
    best = 0.0
    for _ in range(passes):
        began = time.perf_counter()
        for primary, candidate, endpoint in pairs:
            compare(primary, candidate, rules, endpoint=endpoint)
        best = max(best, len(pairs) / (time.perf_counter() - began))
    return best


def _best_seconds(work: Callable[[], object], passes: int = 2) -> float:
    best = float("inf")
    for _ in range(passes):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


def _joined(exchanges: list[Exchange], grace: timedelta) -> tuple[list[Pair], list[Orphan]]:
    join, pairs, orphans = JoinState(grace), [], []
    for exchange in exchanges:
        pair = join.offer(exchange)
        if pair is not None:
            pairs.append(pair)
        orphans.extend(join.advance(0, exchange.started_at))
    orphans.extend(join.drain())
    return pairs, orphans


def _stages(server: str, root: Path, exchanges: list[Exchange], rules: RuleSet) -> dict[str, float]:
    """Seconds of each step alone over the same requests (see the module docstring)."""
    window = Window(grace=timedelta(seconds=30))
    units = open_source(root, window)
    encoded = [codec.encode(exchange) for exchange in exchanges]
    pairs, orphans = _joined(exchanges, window.grace)

    def judged() -> list[Result]:
        return [judge_pair(p, rules) for p in pairs] + [judge_orphan(o, rules) for o in orphans]

    results = judged()
    batch = Plan("stages", "", rules, window).batch_size
    seconds = {
        "read_archive": _best_seconds(lambda: [sum(1 for _ in unit.read()) for unit in units]),
        "decode_kafka": _best_seconds(lambda: [codec.decode(record) for record in encoded]),
        "join": _best_seconds(lambda: _joined(exchanges, window.grace)),
        "judge": _best_seconds(
            lambda: (
                [judge_pair(p, rules) for p in pairs] + [judge_orphan(o, rules) for o in orphans]
            )
        ),
    }
    for name, contender in (("write", write_with_writer), ("copy", write_with_copy)):
        best = float("inf")
        for _ in range(2):
            with fresh_database(server) as url:
                best = min(best, contender(url, results, batch))
        seconds[name] = best
    with fresh_database(server) as url:
        engine = storage.connect(url)
        storage.ensure_run(engine, "stages", rules_version=rules.version)

        def checkpoints() -> None:
            for record in range(0, len(results), batch):
                save_checkpoint(engine, "stages", Checkpoint("unit", "f", record, None, False))

        seconds["checkpoint"] = _best_seconds(checkpoints)
        engine.dispose()
    return seconds


def _print_stages(seconds: dict[str, float], requests: int, comparator_rate: float) -> None:
    for name, spent in seconds.items():
        print(f"stage_{name}_pairs_per_s: {requests / spent:.0f}")
    serial = ("read_archive", "join", "judge", "write", "checkpoint")
    total = sum(seconds[name] for name in serial)
    for name in serial:
        print(f"stage_share_{name}: {seconds[name] / total:.2f}")
    print(f"stage_serial_archive_pairs_per_s: {requests / total:.0f}")
    print(f"copy_vs_comparator: {requests / seconds['copy'] / comparator_rate:.3f}", flush=True)


def _archive(bootstrap: str, topic: str, root: Path, records: int) -> float:
    config = ArchiverConfig(
        brokers=[bootstrap],
        topic=topic,
        root=root,
        group=f"{topic}-archive",
        stop_when_idle_s=2.0,
    )
    began = time.perf_counter()
    counters = asyncio.run(run_archiver(config, asyncio.Event()))
    elapsed = time.perf_counter() - began - config.stop_when_idle_s  # the idle wait at the end
    assert counters.archived == records, f"archived {counters.archived} of {records}"
    return records / elapsed


@dataclass(frozen=True, slots=True)
class _Timing:
    pairs_per_s: float
    pairs_per_cpu_s: float  # CPU of this process, its threads and its worker processes


def _cpu_s() -> float:
    spent = os.times()
    return spent.user + spent.system + spent.children_user + spent.children_system


def _timed(server: str, run: Callable[[Plan], Outcome], workers: int, passes: int = 2) -> _Timing:
    """The best of `passes` reprocesses, each into a fresh database (see the module doc)."""
    window = Window(datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
    best = _Timing(0.0, 0.0)
    for _ in range(passes):
        with fresh_database(server) as url:
            engine = storage.connect(url)
            plan = Plan(f"bench-{workers}", url, RuleSet.default(), window, workers=workers)
            start_run(engine, plan, "benchmark")
            began, cpu = time.perf_counter(), _cpu_s()
            outcome = run(plan)
            elapsed, cpu = time.perf_counter() - began, _cpu_s() - cpu
            engine.dispose()
        if outcome.stored / elapsed > best.pairs_per_s:
            best = _Timing(outcome.stored / elapsed, outcome.stored / cpu)
    return best


def main() -> None:
    pairs = _pairs()
    print(
        f"measuring: reprocess from Kafka and from the archive (1 and 2 workers) vs the "
        f"comparator alone and the live worker, over the same {pairs} generated requests "
        f"({PARTITIONS} partitions); cores: {cores()}",
        flush=True,
    )
    rules = RuleSet.default()
    traffic = generate(pairs, seed=7, start=datetime.now(UTC))
    records, requests = len(traffic.exchanges), len(traffic.truth)
    paired = {rid for rid, fate in traffic.truth.items() if not fate.expected.startswith("missing")}
    topic = f"bench-{uuid.uuid4().hex[:8]}.exchanges"
    comparator_rate = _comparator_rate(traffic.exchanges, rules)
    print(f"input_requests: {requests}")
    print(f"input_records: {records}")
    print(f"comparator_pairs_per_s: {comparator_rate:.0f}", flush=True)
    with (
        running(kafka=True, postgres=True, partitions=PARTITIONS) as services,
        tempfile.TemporaryDirectory(prefix="shadowdiff-bench-") as tmp,
    ):
        assert services.bootstrap is not None and services.postgres_url is not None
        bootstrap, server, workdir = services.bootstrap, services.postgres_url, Path(tmp)
        asyncio.run(_publish(bootstrap, topic, traffic.exchanges))

        with fresh_database(server) as db_url:
            worker = _run_worker(bootstrap, db_url, topic, requests, paired, workdir)
        print(f"pipeline_pairs_per_s: {worker.pairs_per_s:.0f}", flush=True)

        root = workdir / "archive"
        print(f"archive_records_per_s: {_archive(bootstrap, topic, root, records):.0f}")
        files = sum(1 for _ in root.rglob("*.avro"))
        print(f"archive_files: {files}", flush=True)

        source = KafkaSource([bootstrap], topic)
        timings: dict[str, _Timing] = {}
        for workers in (1, 2):
            timings[f"kafka_{workers}"] = _timed(
                server,
                lambda plan: reprocess_kafka(
                    storage.connect(plan.db_url), plan, source, lambda r, j: None
                ),
                workers,
            )
            timings[f"archive_{workers}"] = _timed(
                server,
                lambda plan: reprocess(
                    storage.connect(plan.db_url),
                    plan,
                    open_source(root, plan.window),
                    lambda r, j: None,
                ),
                workers,
            )
        rates = {name: timing.pairs_per_s for name, timing in timings.items()}
        for name in ("kafka_1", "kafka_2", "archive_1", "archive_2"):
            print(f"reprocess_{name}_pairs_per_s: {rates[name]:.0f}")
            print(
                f"reprocess_{name}_pairs_per_cpu_s: {timings[name].pairs_per_cpu_s:.0f}", flush=True
            )
        best = max(rates, key=lambda name: rates[name])
        print(f"reprocess_best: {best}")
        print(f"reprocess_vs_comparator: {rates[best] / comparator_rate:.3f}")
        print(f"reprocess_vs_pipeline: {rates[best] / worker.pairs_per_s:.2f}")
        for name in ("kafka_1", "kafka_2", "archive_1", "archive_2"):
            print(f"reprocess_{name}_vs_comparator: {rates[name] / comparator_rate:.3f}")
            print(f"reprocess_{name}_vs_pipeline: {rates[name] / worker.pairs_per_s:.2f}")
        stages = _stages(server, root, traffic.exchanges, rules)
        _print_stages(stages, requests, comparator_rate)
