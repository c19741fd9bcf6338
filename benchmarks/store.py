"""Report queries at 1 M and 10 M stored comparisons, and the writer with rollups on.

Starts a local PostgreSQL server and loads, through `storage.ResultWriter`
(the worker's own write path, rollups and partitions included), traffic over
30 days ending now: 50 endpoints with skewed volume (the i-th busiest gets
weight 1/i), 2 % of requests mismatching with 1-3 differences each, six
problems (signatures) per endpoint, so 300 in all. First `BENCH_STORE_SMALL`
(1,000,000) comparisons, then `BENCH_STORE_LARGE` (10,000,000) in all, each
pass spread over the same 30 days. After each load, warm, the median of 5 of:

- mismatches: `storage.mismatch_report` of the busiest endpoint over 24 h;
- timeseries: `storage.timeseries.timeseries` of it over 7 d at 5 m;
- signatures: `storage.signature_report.signature_report` of it over 24 h;
- show: `storage.comparison_detail` of one mismatching request;
- readiness, readiness_all: `storage.readiness.readiness_traffic` over 7 d of
  the busiest endpoint, and of all 50;
- noise: `storage.noise_sample.difference_sample` of the busiest over 24 h;
- mismatches_noise, timeseries_noise: `mismatches` and `timeseries` of the
  second-busiest endpoint, which also has a secondary on every request (it
  differs from the primary where and when the candidate does, so all six
  problems there are noise: the most the per-bucket read subtracts), with
  `noise="exclude"`: the baseline judged over the window and each bucket's
  noise subtracted, from the rollups.

After each load the live run's latency is compacted into 5-minute spans, as
the worker's leader keeps it (`storage.compaction`), timed as
`store_compact_1m_s` / `store_compact_10m_s` (the second recompacts every span,
each having grown). Prints `store_Q_1m_ms`, `store_Q_10m_ms` and
`store_Q_growth` (10 M over 1 M) for each query Q, then `writer_vs_copy` as
`benchmarks.writer` measures it (with the rollups the writer now keeps).
Loading 10 M takes a few minutes.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import storage
from benchmarks import writer as writer_benchmark
from benchmarks._services import cores, fresh_database, running
from comparator.baseline import differing_paths
from comparator.model import Comparison, Difference, Kind, Result, Verdict
from storage import compaction
from storage.noise_sample import difference_sample
from storage.readiness import readiness_traffic
from storage.signature_report import signature_report
from storage.timeseries import timeseries

ENDPOINTS = 50
SIGNATURES_PER_ENDPOINT = 6
MISMATCH_SHARE = 0.02
DAYS = 30
BATCH = 500
REPEATS = 5
RULES_VERSION = "bench-store"

_PATHS = ["/name", "/items/[i]/price", "/updated_at", "/tags", "/owner/id", "/total", "/flags"]


SECONDARY = 1
"""The index of the endpoint whose every request also has a secondary."""


def _endpoint_names() -> list[str]:
    return [f"GET /resource{i:02d}/{{id}}" for i in range(ENDPOINTS)]


def _problems(rng: random.Random, endpoint: str) -> list[Comparison]:
    """The endpoint's problems, each one shared Comparison (its differences fixed)."""
    found = []
    for n in range(SIGNATURES_PER_ENDPOINT):
        paths = rng.sample(_PATHS, rng.randint(1, 3))
        differences = tuple(
            Difference(path.replace("[i]", str(rng.randrange(5))), Kind.VALUE_CHANGED, n, -n)
            for path in paths
        )
        found.append(
            Comparison(
                Verdict.MISMATCH,
                differences,
                RULES_VERSION,
                f"{endpoint}#{n}",
                f"{endpoint} mismatch: " + ", ".join(sorted(paths)),
            )
        )
    return found


def traffic(count: int, *, seed: int, end: datetime) -> Iterator[list[Result]]:
    """`count` results over the `DAYS` before `end`, in time order, in batches."""
    rng = random.Random(seed)
    names = _endpoint_names()
    weights = [1 / (i + 1) for i in range(ENDPOINTS)]
    problems = {name: _problems(random.Random(name), name) for name in names}
    problem_weights = [1 / (i + 1) for i in range(SIGNATURES_PER_ENDPOINT)]
    match = Comparison(Verdict.MATCH, (), RULES_VERSION)
    # The secondary differs where the candidate does, on the same requests: raw and
    # noise counts are equal at every path, so every problem there is noise at any scale.
    volatile = {id(p): tuple(sorted(differing_paths(p))) for p in problems[names[SECONDARY]]}
    start = end - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / count
    batch: list[Result] = []
    chosen = rng.choices(names, weights, k=count)
    for i, endpoint in enumerate(chosen):
        if rng.random() < MISMATCH_SHARE:
            comparison = rng.choices(problems[endpoint], problem_weights)[0]
        else:
            comparison = match
        secondary: tuple[str, ...] | None = None
        if endpoint == names[SECONDARY]:
            secondary = volatile.get(id(comparison), ())
        batch.append(
            Result(
                request_id=f"s{seed}-{i:09d}",
                endpoint=endpoint,
                method="GET",
                observed_at=start + i * step,
                primary_status=200,
                candidate_status=200,
                primary_latency_ms=rng.lognormvariate(3.0, 0.5),
                candidate_latency_ms=rng.lognormvariate(3.1, 0.5),
                comparison=comparison,
                secondary_paths=secondary,
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(url: str, count: int, *, seed: int, end: datetime) -> tuple[float, str]:
    """Write `count` results; (rows per second, a mismatching request id among them)."""
    engine = storage.connect(url)
    try:
        writer = storage.ResultWriter(engine, rules_version=RULES_VERSION, kind="live")
        example = ""
        began = time.perf_counter()
        done = 0
        for batch in traffic(count, seed=seed, end=end):
            writer.write(batch)
            done += len(batch)
            if not example or done <= count // 2:
                example = next((r.request_id for r in batch if r.comparison.signature), example)
            if done % 1_000_000 < BATCH:
                print(f"  loaded {done:,} of {count:,}", flush=True)
        return count / (time.perf_counter() - began), example
    finally:
        engine.dispose()


def compact(url: str) -> float:
    """Compact the live run's latency into spans, as the worker leader does; seconds taken."""
    engine = storage.connect(url)
    try:
        began = time.perf_counter()
        compaction.compact(engine)
        return time.perf_counter() - began
    finally:
        engine.dispose()


def _median_ms(query: Callable[[], object]) -> float:
    query()  # warm
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        query()
        times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


def measure(url: str, end: datetime, example: str) -> dict[str, float]:
    engine = storage.connect(url)
    busiest, with_secondary = _endpoint_names()[0], _endpoint_names()[SECONDARY]
    day_ago, week_ago = end - timedelta(days=1), end - timedelta(days=7)
    try:
        return {
            "mismatches": _median_ms(
                lambda: storage.mismatch_report(engine, endpoint=busiest, since=day_ago, until=end)
            ),
            "timeseries": _median_ms(
                lambda: timeseries(engine, since=week_ago, until=end, step="5m", endpoint=busiest)
            ),
            "signatures": _median_ms(
                lambda: signature_report(engine, endpoint=busiest, since=day_ago, until=end)
            ),
            "show": _median_ms(lambda: storage.comparison_detail(engine, example)),
            "readiness": _median_ms(
                lambda: readiness_traffic(engine, endpoint=busiest, since=week_ago, until=end)
            ),
            "readiness_all": _median_ms(
                lambda: readiness_traffic(engine, since=week_ago, until=end)
            ),
            "noise": _median_ms(
                lambda: difference_sample(engine, endpoint=busiest, since=day_ago, until=end)
            ),
            "mismatches_noise": _median_ms(
                lambda: storage.mismatch_report(
                    engine, endpoint=with_secondary, since=day_ago, until=end, noise="exclude"
                )
            ),
            "timeseries_noise": _median_ms(
                lambda: timeseries(
                    engine,
                    since=week_ago,
                    until=end,
                    step="5m",
                    endpoint=with_secondary,
                    noise="exclude",
                )
            ),
        }
    finally:
        engine.dispose()


def noise_signatures(url: str, end: datetime) -> int:
    """How many problems the secondary's baseline explains over the day the queries read."""
    engine = storage.connect(url)
    try:
        endpoint, since = _endpoint_names()[SECONDARY], end - timedelta(days=1)
        only = signature_report(engine, endpoint=endpoint, since=since, until=end, noise="only")
        return len(only.signatures)
    finally:
        engine.dispose()


def main() -> None:
    small = int(os.environ.get("BENCH_STORE_SMALL", "1000000"))
    large = int(os.environ.get("BENCH_STORE_LARGE", "10000000"))
    print(
        f"measuring: report queries at {small:,} and {large:,} comparisons over {DAYS} days, "
        f"{ENDPOINTS} endpoints, median of {REPEATS} warm; cores: {cores()}",
        flush=True,
    )
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    with running(kafka=False, postgres=True) as services:
        assert services.postgres_url is not None
        with fresh_database(services.postgres_url) as url:
            rate, example = load(url, small, seed=1, end=end)
            print(f"store_load_rows_per_s: {rate:.0f}", flush=True)
            print(f"store_compact_1m_s: {compact(url):.1f}", flush=True)
            at_small = measure(url, end, example)
            for name, ms in at_small.items():
                print(f"store_{name}_1m_ms: {ms:.1f}", flush=True)
            print(f"store_noise_signatures_1m: {noise_signatures(url, end)}", flush=True)
            rate, _ = load(url, large - small, seed=2, end=end)
            print(f"store_load_rows_per_s_second_pass: {rate:.0f}", flush=True)
            print(f"store_compact_10m_s: {compact(url):.1f}", flush=True)
            at_large = measure(url, end, example)
            for name, ms in at_large.items():
                print(f"store_{name}_10m_ms: {ms:.1f}", flush=True)
            print(f"store_noise_signatures_10m: {noise_signatures(url, end)}", flush=True)
            for name in at_small:
                print(f"store_{name}_growth: {at_large[name] / at_small[name]:.2f}")
        writer_benchmark.compare(services.postgres_url)
