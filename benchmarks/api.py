"""The HTTP API under 50 concurrent clients, against a do-nothing route as baseline.

Starts a local PostgreSQL server, loads `BENCH_API_ROWS` (10,000,000)
comparisons with the store benchmark's loader (`benchmarks.store.load`: 30
days, 50 endpoints, 2 % mismatching), compacts its latency into 5-minute spans
as the worker's leader would have (`api_compact_s`), and runs `shadowdiff
serve` on it as a child process on loopback. Then `BENCH_API_CLIENTS` (50) clients, each with
its own connection, send requests back to back for `BENCH_API_SECONDS` (20)
seconds per pass:

- baseline: `/healthz`, which touches no database (the server's own floor);
- uncached: the mix below with the answer cache off (`--cache-seconds 0`),
  so every request queries the store;
- cached: the same mix with the default cache (`--cache-seconds 5`): the
  same few questions asked again and again, as a shared dashboard does.
  Answers are counted by the server's `X-Cache` header (hit: from the cache;
  miss: this request queried; shared: it waited for another's query), and
  the p50 / p99 of hits and of the rest are printed apart.

Each mix pass also prints every route's p50 / p99 (`api_<pass>_<route>_...`),
the time series apart from the rest.

The mix, in turn: the endpoints report over the last 24 h, the busiest
endpoint's time series over 7 days at 5 m, a page of its mismatching
comparisons, and one comparison with its differences.

Prints, per pass, `api_<pass>_requests`, `api_<pass>_p50_ms`,
`api_<pass>_p99_ms` and `api_<pass>_errors` (any non-2xx or transport
error), then `api_<pass>_p99_vs_baseline`. The goal: mix p99 <= 100 ms, 0 errors.
`BENCH_API_WORKERS` (1) server processes serve every pass: on two cores shared
with PostgreSQL and the load generator, a second one measured no better.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp

from benchmarks._child import Child
from benchmarks._latency import _percentile
from benchmarks._services import cores, fresh_database, running
from benchmarks.store import _endpoint_names, compact, load

ROUTES = ("endpoints", "timeseries", "comparisons", "comparison")
"""The mix's routes, in the order of its paths."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(slots=True)
class _Tally:
    """Latencies (ms) by route index and by the answer's `X-Cache` source."""

    by_path: dict[int, list[float]] = field(default_factory=dict)
    by_source: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0

    def add(self, path: int, source: str, ms: float) -> None:
        self.by_path.setdefault(path, []).append(ms)
        self.by_source.setdefault(source, []).append(ms)

    def all(self) -> list[float]:
        return sorted(ms for found in self.by_path.values() for ms in found)


async def _client(
    session: aiohttp.ClientSession,
    base: str,
    paths: Sequence[str],
    offset: int,
    stop_at: float,
    tally: _Tally,
) -> None:
    i = offset
    while time.monotonic() < stop_at:
        began = time.perf_counter()
        source = "error"
        try:
            async with session.get(base + paths[i % len(paths)]) as answer:
                await answer.read()
                if answer.status >= 300:
                    tally.errors += 1
                else:
                    source = answer.headers.get("X-Cache", "none")
        except aiohttp.ClientError:
            tally.errors += 1
        tally.add(i % len(paths), source, 1000 * (time.perf_counter() - began))
        i += 1


async def _load(
    base: str, token: str, paths: Sequence[str], clients: int, seconds: float
) -> _Tally:
    tally = _Tally()
    headers = {"Authorization": f"Bearer {token}"}
    stop_at = time.monotonic() + seconds
    sessions = [
        aiohttp.ClientSession(
            headers=headers, connector=aiohttp.TCPConnector(limit=1, force_close=False)
        )
        for _ in range(clients)
    ]
    try:
        await asyncio.gather(
            *(
                _client(session, base, paths, n, stop_at, tally)
                for n, session in enumerate(sessions)
            )
        )
    finally:
        for session in sessions:
            await session.close()
    return tally


def _percentiles(name: str, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    p50, p99 = _percentile(ordered, 0.50), _percentile(ordered, 0.99)
    print(f"api_{name}_p50_ms: {p50:.1f}")
    print(f"api_{name}_p99_ms: {p99:.1f}")
    return p99


def _report(name: str, tally: _Tally) -> float:
    print(f"api_{name}_requests: {len(tally.all())}")
    p99 = _percentiles(name, tally.all())
    print(f"api_{name}_errors: {tally.errors}", flush=True)
    return p99


def _by_route(name: str, tally: _Tally) -> None:
    for index, route in enumerate(ROUTES):
        _percentiles(f"{name}_{route}", tally.by_path.get(index, []))


def _by_source(name: str, tally: _Tally) -> None:
    hits = tally.by_source.get("hit", [])
    rest = [ms for source, found in tally.by_source.items() if source != "hit" for ms in found]
    counts = ", ".join(f"{s} {len(found)}" for s, found in sorted(tally.by_source.items()))
    print(f"api_{name}_answers: {counts}")
    if hits:
        _percentiles(f"{name}_hits", hits)
    if rest:
        _percentiles(f"{name}_not_hits", rest)


def _serve(
    url: str, token: str, cache_seconds: float, workers: int, log: Path
) -> tuple[Child, str]:
    port = _free_port()
    args = ["serve", "--db", url, "--port", str(port), "--cache-seconds", str(cache_seconds)]
    args += ["--workers", str(workers)]
    env = {**os.environ, "SHADOWDIFF_API_TOKENS": token}
    return Child("shadowdiff", args, env, log), f"http://127.0.0.1:{port}"


def _healthy(base: str) -> bool | None:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=2) as answer:
            return True if answer.status == 200 else None
    except OSError:
        return None


def main() -> None:
    rows = int(os.environ.get("BENCH_API_ROWS", "10000000"))
    clients = int(os.environ.get("BENCH_API_CLIENTS", "50"))
    seconds = float(os.environ.get("BENCH_API_SECONDS", "20"))
    workers = int(os.environ.get("BENCH_API_WORKERS", "1"))
    print(
        f"measuring: the API at {rows:,} comparisons, {clients} clients for {seconds:.0f} s "
        f"per pass on loopback, {workers} server process(es); cores: {cores()}",
        flush=True,
    )
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    busiest = quote(_endpoint_names()[0])
    day_ago = (end - timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ")
    week_ago = (end - timedelta(days=7)).strftime("%Y-%m-%dT%H:%MZ")
    until = end.strftime("%Y-%m-%dT%H:%MZ")
    with running(kafka=False, postgres=True) as services:
        assert services.postgres_url is not None
        with fresh_database(services.postgres_url) as url:
            rate, example = load(url, rows, seed=1, end=end)
            print(f"api_load_rows_per_s: {rate:.0f}", flush=True)
            # The worker's leader keeps latency compacted; after a bulk load, once.
            print(f"api_compact_s: {compact(url):.1f}", flush=True)
            token = secrets.token_hex(24)
            mix = [
                f"/api/v1/endpoints?since={day_ago}&until={until}",
                f"/api/v1/endpoints/timeseries?endpoint={busiest}&since={week_ago}"
                f"&until={until}&step=5m",
                f"/api/v1/comparisons?endpoint={busiest}&verdict=mismatch&page_size=50",
                f"/api/v1/comparisons/{quote(example)}",
            ]
            log = Path(tempfile.mkdtemp(prefix="bench-api-")) / "serve.log"
            child, base = _serve(url, token, 0, workers, log)
            with child as server:
                server.wait_for(lambda: _healthy(base), timeout_s=60)
                baseline = _report(
                    "baseline", asyncio.run(_load(base, token, ["/healthz"], clients, seconds))
                )
                uncached = asyncio.run(_load(base, token, mix, clients, seconds))
                _report("uncached", uncached)
                _by_route("uncached", uncached)
            child, base = _serve(url, token, 5, workers, log)
            with child as server:
                server.wait_for(lambda: _healthy(base), timeout_s=60)
                cached = asyncio.run(_load(base, token, mix, clients, seconds))
                measured = _report("cached", cached)
                _by_route("cached", cached)
                _by_source("cached", cached)
            print(
                f"api_uncached_p99_vs_baseline: {_percentile(uncached.all(), 0.99) / baseline:.2f}"
            )
            print(f"api_cached_p99_vs_baseline: {measured / baseline:.2f}")
