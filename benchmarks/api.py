"""The HTTP API under 50 concurrent clients, against a do-nothing route as baseline.

Starts a local PostgreSQL server, loads `BENCH_API_ROWS` (10,000,000)
comparisons with the store benchmark's loader (`benchmarks.store.load`: 30
days, 50 endpoints, 2 % mismatching), and runs `shadowdiff serve` on it as a
child process on loopback. Then `BENCH_API_CLIENTS` (50) clients, each with
its own connection, send requests back to back for `BENCH_API_SECONDS` (20)
seconds, twice:

- baseline: `/healthz`, which touches no database (the server's own floor);
- mix: in turn, the endpoints report over the last 24 h, the busiest
  endpoint's time series over 7 days at 5 m, a page of its mismatching
  comparisons, and one comparison with its differences.

Prints, per pass, `api_<pass>_requests`, `api_<pass>_p50_ms`,
`api_<pass>_p99_ms` and `api_<pass>_errors` (any non-2xx or transport
error), then `api_mix_p99_vs_baseline`. The goal: mix p99 <= 100 ms, 0 errors.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp

from benchmarks._child import Child
from benchmarks._latency import _percentile
from benchmarks._services import cores, fresh_database, running
from benchmarks.store import _endpoint_names, load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _client(
    session: aiohttp.ClientSession,
    base: str,
    paths: Sequence[str],
    offset: int,
    stop_at: float,
    latencies: list[float],
) -> int:
    errors = 0
    i = offset
    while time.monotonic() < stop_at:
        began = time.perf_counter()
        try:
            async with session.get(base + paths[i % len(paths)]) as answer:
                await answer.read()
                if answer.status >= 300:
                    errors += 1
        except aiohttp.ClientError:
            errors += 1
        latencies.append(1000 * (time.perf_counter() - began))
        i += 1
    return errors


async def _load(
    base: str, token: str, paths: Sequence[str], clients: int, seconds: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    stop_at = time.monotonic() + seconds
    sessions = [
        aiohttp.ClientSession(
            headers=headers, connector=aiohttp.TCPConnector(limit=1, force_close=False)
        )
        for _ in range(clients)
    ]
    try:
        errors = await asyncio.gather(
            *(
                _client(session, base, paths, n, stop_at, latencies)
                for n, session in enumerate(sessions)
            )
        )
    finally:
        for session in sessions:
            await session.close()
    return sorted(latencies), sum(errors)


def _report(name: str, latencies: list[float], errors: int) -> float:
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    print(f"api_{name}_requests: {len(latencies)}")
    print(f"api_{name}_p50_ms: {p50:.1f}")
    print(f"api_{name}_p99_ms: {p99:.1f}")
    print(f"api_{name}_errors: {errors}", flush=True)
    return p99


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
    print(
        f"measuring: the API at {rows:,} comparisons, {clients} clients for {seconds:.0f} s "
        f"per pass on loopback; cores: {cores()}",
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
            token = secrets.token_hex(24)
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            env = {**os.environ, "SHADOWDIFF_API_TOKENS": token}
            mix = [
                f"/api/v1/endpoints?since={day_ago}&until={until}",
                f"/api/v1/endpoints/timeseries?endpoint={busiest}&since={week_ago}"
                f"&until={until}&step=5m",
                f"/api/v1/comparisons?endpoint={busiest}&verdict=mismatch&page_size=50",
                f"/api/v1/comparisons/{quote(example)}",
            ]
            log = Path(tempfile.mkdtemp(prefix="bench-api-")) / "serve.log"
            args = ["serve", "--db", url, "--port", str(port)]
            with Child("shadowdiff", args, env, log) as server:
                server.wait_for(lambda: _healthy(base), timeout_s=60)
                baseline = _report(
                    "baseline", *asyncio.run(_load(base, token, ["/healthz"], clients, seconds))
                )
                measured = _report("mix", *asyncio.run(_load(base, token, mix, clients, seconds)))
            print(f"api_mix_p99_vs_baseline: {measured / baseline:.2f}")
