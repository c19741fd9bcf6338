"""The Postgres result writer against raw binary COPY of the same rows.

Starts a local PostgreSQL server (the `services` package) and generates
`BENCH_RESULTS` (default 20,000) `comparator.Result`s over 8 endpoints: 70%
matches, 20% mismatches with 1-3 differences (one of four problems per
endpoint, so one of four signatures, as real traffic collapses into few
problems), 6% an errored candidate (one difference), 4% orphans (no
differences). Every contender starts from that list of `Result`s and writes
all of it, in batches, one transaction per batch, into a freshly migrated
database of its own:

- writer: `storage.ResultWriter.write(batch)` as the worker calls it: row
  building, redaction, `INSERT ... ON CONFLICT DO NOTHING RETURNING` of the
  comparisons, the differences of the new ones, the signature counts and the
  minute rollups;
- copy: psycopg 3 `COPY ... FROM STDIN (FORMAT BINARY)` of the equivalent
  comparisons rows and difference rows (values JSON-encoded like the writer's),
  into the same tables (their day partitions made beforehand); no idempotence,
  no signatures, no rollups.

`*_rows_per_s` counts results (comparisons rows) per second; the difference
rows ride along (their count is printed). Each figure is the best of 3 runs,
each in a fresh database. Batches of 500 (the worker's batch size) and 1,000;
`writer_vs_copy` is for batches of 500, our rate over COPY's (1.0 = as fast as
COPY). `copy_one_batch_rows_per_s` is COPY of everything in one transaction,
the ceiling for context.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

import storage
from benchmarks._services import cores, fresh_database, running
from comparator.model import Comparison, Difference, Kind, Result, Verdict
from services.postgres import libpq_url
from storage import partitions
from storage.writer import encode_value

RULES_VERSION = "bench-1"
RUN_ID = storage.LIVE_RUN
REPEATS = 3
BATCHES = (500, 1000)

_ENDPOINTS = [
    "GET /courses",
    "GET /courses/{id}",
    "GET /users/{id}",
    "POST /enrolments",
    "GET /lessons/{id}",
    "graphql CourseOutline",
    "graphql Progress",
    "GET /search",
]
_PATHS = [
    "/title",
    "/items/*/score",
    "/meta/updated_at",
    "/price",
    "/tags",
    "/author/name",
    "/items",
    "status",
]
_KINDS = [Kind.VALUE_CHANGED, Kind.FIELD_MISSING, Kind.FIELD_ADDED, Kind.TYPE_CHANGED]


PROBLEMS_PER_ENDPOINT = 4

Problem = tuple[tuple[str, Kind], ...]


def _problems(endpoint: str) -> list[Problem]:
    """The endpoint's few problems, each 1-3 (path template, kind), fixed per endpoint."""
    rng = random.Random(endpoint)
    return [
        tuple((path, rng.choice(_KINDS)) for path in rng.sample(_PATHS[:5], rng.randint(1, 3)))
        for _ in range(PROBLEMS_PER_ENDPOINT)
    ]


_PROBLEMS = {endpoint: _problems(endpoint) for endpoint in _ENDPOINTS}


def _signature(endpoint: str, problem: Problem) -> str:
    # As the comparator does: the endpoint and the problem's templates, not values.
    folded = sorted(f"{path}:{kind.value}" for path, kind in problem)
    return hashlib.sha256("|".join([endpoint, *folded]).encode()).hexdigest()[:16]


def _mismatch(rng: random.Random, problem: Problem) -> tuple[Difference, ...]:
    # One of the endpoint's problems, with this request's own indices and values.
    return tuple(
        Difference(
            path.replace("*", str(rng.randrange(20))),
            kind,
            primary={"v": rng.randrange(1000), "s": "x" * rng.randrange(40)},
            candidate=rng.randrange(1000),
        )
        for path, kind in problem
    )


def results(count: int, seed: int = 5) -> list[Result]:
    """`count` results with the mix stated in the module docstring."""
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    made = []
    for i in range(count):
        endpoint = rng.choice(_ENDPOINTS)
        roll = rng.random()
        p_status: int | None = 200
        c_status: int | None = 200
        differences: tuple[Difference, ...] = ()
        signature = None
        if roll < 0.70:
            verdict = Verdict.MATCH
        elif roll < 0.90:
            verdict = Verdict.MISMATCH
            problem = rng.choice(_PROBLEMS[endpoint])
            differences = _mismatch(rng, problem)
            signature = _signature(endpoint, problem)
        elif roll < 0.96:
            verdict, c_status = Verdict.ERROR_CANDIDATE, None
            differences = (Difference("status", Kind.STATUS, 200, None),)
            signature = f"{endpoint} error_candidate"
        else:
            verdict, c_status = Verdict.MISSING_CANDIDATE, None
            signature = f"{endpoint} missing_candidate"
        made.append(
            Result(
                request_id=f"req-{seed}-{i:08d}",
                endpoint=endpoint,
                method="POST" if endpoint.startswith("POST") else "GET",
                observed_at=start + timedelta(milliseconds=25 * i),
                primary_status=p_status,
                candidate_status=c_status,
                primary_latency_ms=rng.uniform(5, 200),
                candidate_latency_ms=None if c_status is None else rng.uniform(5, 200),
                comparison=Comparison(
                    verdict,
                    differences,
                    RULES_VERSION,
                    signature,
                    f"{verdict.value} on {endpoint}" if signature else "",
                ),
            )
        )
    return made


def _batches(items: Sequence[Result], size: int) -> list[Sequence[Result]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def write_with_writer(url: str, items: Sequence[Result], batch: int) -> float:
    """Seconds for `ResultWriter.write` of every batch (set-up not timed)."""
    engine = storage.connect(url)
    try:
        writer = storage.ResultWriter(engine, RUN_ID, RULES_VERSION, kind="live")
        began = time.perf_counter()
        for chunk in _batches(items, batch):
            writer.write(chunk)
        return time.perf_counter() - began
    finally:
        engine.dispose()


_COMPARISON_COLUMNS = (
    "run_id, request_id, endpoint, method, observed_at, verdict, primary_status, "
    "candidate_status, primary_latency_ms, candidate_latency_ms, signature, rules_version, "
    "stored_at"
)
_COMPARISON_TYPES = [
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "text",
    "int4",
    "int4",
    "float8",
    "float8",
    "text",
    "text",
    "timestamptz",
]
_DIFFERENCE_COLUMNS = (
    "run_id, request_id, observed_at, seq, path, kind, primary_value, candidate_value"
)
_DIFFERENCE_TYPES = ["text", "text", "timestamptz", "int4", "text", "text", "text", "text"]


def _copy_batch(conn: psycopg.Connection[Any], chunk: Sequence[Result]) -> None:
    stored_at = datetime.now(UTC)
    with conn.transaction(), conn.cursor() as cursor:
        with cursor.copy(
            f"COPY comparisons ({_COMPARISON_COLUMNS}) FROM STDIN (FORMAT BINARY)".encode()
        ) as copy:
            copy.set_types(_COMPARISON_TYPES)
            for r in chunk:
                c = r.comparison
                copy.write_row(
                    (
                        RUN_ID,
                        r.request_id,
                        r.endpoint,
                        r.method,
                        r.observed_at,
                        c.verdict.value,
                        r.primary_status,
                        r.candidate_status,
                        r.primary_latency_ms,
                        r.candidate_latency_ms,
                        c.signature,
                        c.rules_version,
                        stored_at,
                    )
                )
        with cursor.copy(
            f"COPY differences ({_DIFFERENCE_COLUMNS}) FROM STDIN (FORMAT BINARY)".encode()
        ) as copy:
            copy.set_types(_DIFFERENCE_TYPES)
            for r in chunk:
                for seq, d in enumerate(r.comparison.differences):
                    copy.write_row(
                        (
                            RUN_ID,
                            r.request_id,
                            r.observed_at,
                            seq,
                            d.path,
                            d.kind.value,
                            encode_value(d.primary),
                            encode_value(d.candidate),
                        )
                    )


def write_with_copy(url: str, items: Sequence[Result], batch: int) -> float:
    """Seconds for binary COPY of every batch, a transaction each (set-up not timed)."""
    engine = storage.connect(url)
    storage.ensure_run(engine, RUN_ID, rules_version=RULES_VERSION, kind="live")
    # The day partitions the rows go to, as the writer makes them on its first batch.
    partitions.Partitions(engine).ensure([r.observed_at for r in items])
    engine.dispose()
    with psycopg.connect(libpq_url(url)) as conn:
        began = time.perf_counter()
        for chunk in _batches(items, batch):
            _copy_batch(conn, chunk)
        return time.perf_counter() - began


def _best_rate(
    server_url: str,
    items: Sequence[Result],
    batch: int,
    contender: Callable[[str, Sequence[Result], int], float],
) -> float:
    best = 0.0
    for _ in range(REPEATS):
        with fresh_database(server_url) as url:
            best = max(best, len(items) / contender(url, items, batch))
    return best


def compare(server: str, count: int | None = None) -> None:
    """Print the writer's and COPY's rates on `server` and `writer_vs_copy`."""
    count = count or int(os.environ.get("BENCH_RESULTS", "20000"))
    items = results(count)
    differences = sum(len(r.comparison.differences) for r in items)
    print(f"results: {count}")
    print(f"difference_rows: {differences}")
    print(f"mismatch_share: {sum(r.comparison.signature is not None for r in items) / count:.2f}")
    rates: dict[tuple[str, int], float] = {}
    for batch in BATCHES:
        for name, contender in (("writer", write_with_writer), ("copy", write_with_copy)):
            rates[name, batch] = _best_rate(server, items, batch, contender)
            print(f"{name}_rows_per_s_batch{batch}: {rates[name, batch]:.0f}", flush=True)
    one_batch = _best_rate(server, items, count, write_with_copy)
    print(f"copy_one_batch_rows_per_s: {one_batch:.0f}")
    print(f"writer_rows_per_s: {rates['writer', 500]:.0f}")
    print(f"copy_rows_per_s: {rates['copy', 500]:.0f}")
    print(f"writer_vs_copy: {rates['writer', 500] / rates['copy', 500]:.2f}")
    print(f"writer_vs_copy_batch1000: {rates['writer', 1000] / rates['copy', 1000]:.2f}")


def main() -> None:
    count = int(os.environ.get("BENCH_RESULTS", "20000"))
    print(
        f"measuring: storage.ResultWriter.write vs psycopg binary COPY of {count} results "
        f"into PostgreSQL, best of {REPEATS} in fresh databases; cores: {cores()}",
        flush=True,
    )
    with running(kafka=False, postgres=True) as services:
        assert services.postgres_url is not None
        compare(services.postgres_url, count)
