"""The mirroring proxy's cost: added latency at a fixed rate, maximum rate, Kafka down.

On loopback, with every part in a process of its own: a primary and a
candidate (tiny aiohttp backends answering a 400-byte JSON body at once), a
Kafka broker, `shadowdiff proxy` in front of the two, and the load generator.

- Added latency: a fixed-rate, open-loop generator (`benchmarks/_loadgen.py`;
  `wrk` cannot hold a rate) calls the primary directly and through the proxy in
  alternating rounds; the lines are the differences of the medians over rounds
  of each round's p50 and p99. Goal: p50 ≤ 1 ms, p99 ≤ 5 ms.
- Maximum rate: `wrk` (Debian's package, installed with apt-get where missing)
  against the primary alone and through the proxy, mirroring and publishing.
- Kafka down: the broker stopped, the same fixed rate through the proxy;
  errors seen by the client (goal 0) and observations dropped.
- CPU: the proxy's CPU time per request (both calls, both observations
  encoded and published) and the backend's, from /proc; the machine's load
  average says how much the latencies above owe to other processes.
- The forwarding client: CPU time per request of aiohttp's client and of
  httpx's, the alternative measured, calling the primary from 8 concurrent loops.

Sizes: BENCH_PROXY_RATE (requests/s, 500), BENCH_PROXY_SECONDS (per round, 10),
BENCH_PROXY_ROUNDS (3).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson

from benchmarks._child import Child
from benchmarks._services import cores
from services import KafkaBroker
from services._process import answers_http, free_port

WRK_SECONDS = 8
WRK_CONNECTIONS = 32


def _answers(port: int, path: str = "/") -> bool | None:
    """True once an HTTP server answers on `port`, else None (for `Child.wait_for`)."""
    return answers_http(port, path) or None


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk from Debian's packages", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        capture_output=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("apt-get installed wrk, but it is not on PATH")
    return found


def fixed_rate(url: str, rate: float, seconds: float) -> dict[str, float]:
    """One run of the load generator in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._loadgen", url, str(rate), str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds * 5 + 60,
        check=True,
    )
    result: dict[str, float] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


def max_rate(wrk: str, url: str) -> float:
    """Requests per second `wrk` gets from `url` (one thread, closed loop)."""
    done = subprocess.run(
        [wrk, "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", url],
        capture_output=True,
        text=True,
        timeout=WRK_SECONDS + 60,
        check=True,
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        print(f"# wrk saw {errors.group(1)} error responses from {url}", flush=True)
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        raise RuntimeError(f"no rate in wrk's output:\n{done.stdout}")
    return float(found.group(1))


CLIENT_REQUESTS = 2000


def client_cost(url: str) -> dict[str, float]:
    """CPU microseconds per request of each async HTTP client, best of two rounds."""
    import asyncio
    import time

    import aiohttp
    import httpx

    async def loops(get: Callable[[], Awaitable[object]]) -> float:
        async def loop(count: int) -> None:
            for _ in range(count):
                await get()

        await loop(100)  # connections, first answers
        began = time.process_time()
        await asyncio.gather(*(loop(CLIENT_REQUESTS // 8) for _ in range(8)))
        return (time.process_time() - began) / CLIENT_REQUESTS * 1e6

    async def with_aiohttp() -> float:
        async with aiohttp.ClientSession() as session:

            async def get() -> bytes:
                async with session.get(url) as response:
                    return await response.read()

            return await loops(get)

    async def with_httpx() -> float:
        async with httpx.AsyncClient() as client:

            async def get() -> bytes:
                return (await client.get(url)).content

            return await loops(get)

    return {
        "aiohttp": min(asyncio.run(with_aiohttp()) for _ in range(2)),
        "httpx": min(asyncio.run(with_httpx()) for _ in range(2)),
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proxy_metric(port: int, name: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    return sum(
        float(line.rpartition(" ")[2])
        for line in text.splitlines()
        if line.startswith(name + " ") or line.startswith(name + "{")
    )


def main() -> None:
    rate = float(os.environ.get("BENCH_PROXY_RATE", "500"))
    seconds = float(os.environ.get("BENCH_PROXY_SECONDS", "10"))
    rounds = int(os.environ.get("BENCH_PROXY_ROUNDS", "3"))
    print(
        f"measuring: shadowdiff proxy vs calling the primary directly, {rate:.0f} requests/s "
        f"for {seconds:.0f}s x {rounds} rounds each, wrk for {WRK_SECONDS}s; cores: {cores()}",
        flush=True,
    )
    wrk = _wrk()
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        logs = Path(tmp)
        broker = KafkaBroker(num_partitions=4)
        primary_port, candidate_port, proxy_port = free_port(), free_port(), free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            broker.start()
            with (
                Child("benchmarks._backend", [str(primary_port)], env, logs / "p.log") as primary,
                Child("benchmarks._backend", [str(candidate_port)], env, logs / "c.log") as cand,
                Child(
                    "shadowdiff",
                    [
                        *("proxy", "--listen", f"127.0.0.1:{proxy_port}"),
                        *("--primary", f"http://127.0.0.1:{primary_port}"),
                        *("--candidate", f"http://127.0.0.1:{candidate_port}"),
                        *("--route", "GET /users/{id}", "--shutdown-timeout", "5"),
                        *("--bootstrap", broker.bootstrap, "--topic", "bench.exchanges"),
                    ],
                    env,
                    logs / "proxy.log",
                ) as proxy,
            ):
                primary.wait_for(lambda: _answers(primary_port), 30)
                cand.wait_for(lambda: _answers(candidate_port), 30)
                proxy.wait_for(lambda: _answers(proxy_port, "/metrics"), 60)
                direct_url = f"http://127.0.0.1:{primary_port}/users/7"
                proxy_url = f"http://127.0.0.1:{proxy_port}/users/7"
                clients = client_cost(direct_url)
                print(f"forward_client_aiohttp_us: {clients['aiohttp']:.0f}")
                print(f"forward_client_httpx_us: {clients['httpx']:.0f}")
                print(
                    f"httpx_vs_aiohttp_cpu: {clients['httpx'] / clients['aiohttp']:.1f}", flush=True
                )
                fixed_rate(proxy_url, rate, 2)  # warm-up: connections, producer metadata
                direct, proxied = [], []
                proxy_cpu = backend_cpu = 0.0
                for _ in range(rounds):
                    began = cpu_seconds(primary.pid)
                    direct.append(fixed_rate(direct_url, rate, seconds))
                    backend_cpu += cpu_seconds(primary.pid) - began
                    began = cpu_seconds(proxy.pid)
                    proxied.append(fixed_rate(proxy_url, rate, seconds))
                    proxy_cpu += cpu_seconds(proxy.pid) - began
                sent = sum(run["sent"] for run in proxied)
                print(f"proxy_cpu_ms_per_request: {proxy_cpu * 1000 / sent:.3f}")
                print(f"backend_cpu_ms_per_request: {backend_cpu * 1000 / sent:.3f}")
                print(f"load_average_1m: {os.getloadavg()[0]:.1f}", flush=True)

                def median(runs: list[dict[str, float]], key: str) -> float:
                    return statistics.median(run[key] for run in runs)

                for label, runs in (("direct", direct), ("proxy", proxied)):
                    print(f"{label}_p50_ms: {median(runs, 'p50_ms'):.3f}")
                    print(f"{label}_p99_ms: {median(runs, 'p99_ms'):.3f}")
                    print(f"{label}_errors: {sum(int(run['errors']) for run in runs)}")
                added_p50 = median(proxied, "p50_ms") - median(direct, "p50_ms")
                added_p99 = median(proxied, "p99_ms") - median(direct, "p99_ms")
                print(f"proxy_added_p50_ms: {added_p50:.3f}")
                print(f"proxy_added_p99_ms: {added_p99:.3f}", flush=True)

                direct_max = max_rate(wrk, direct_url)
                proxy_max = max_rate(wrk, proxy_url)
                print(f"direct_max_rate: {direct_max:.0f}")
                print(f"proxy_max_rate: {proxy_max:.0f}")
                print(f"proxy_vs_direct_max_rate: {proxy_max / direct_max:.2f}", flush=True)

                published = proxy_metric(
                    proxy_port, "shadowdiff_proxy_observations_published_total"
                )
                print(f"proxy_observations_published: {published:.0f}")
                dropped_before = proxy_metric(
                    proxy_port, "shadowdiff_proxy_observations_dropped_total"
                )
                broker.stop()
                began = cpu_seconds(proxy.pid)
                down = fixed_rate(proxy_url, rate, seconds)
                down_cpu = cpu_seconds(proxy.pid) - began
                dropped = (
                    proxy_metric(proxy_port, "shadowdiff_proxy_observations_dropped_total")
                    - dropped_before
                )
                print(f"proxy_errors_kafka_down: {int(down['errors'])}")
                print(f"proxy_requests_kafka_down: {int(down['sent'])}")
                print(f"proxy_p50_ms_kafka_down: {down['p50_ms']:.3f}")
                print(f"proxy_p99_ms_kafka_down: {down['p99_ms']:.3f}")
                print(f"proxy_dropped_kafka_down: {dropped:.0f}")
                print(
                    f"proxy_cpu_ms_per_request_kafka_down: {down_cpu * 1000 / down['sent']:.3f}",
                    flush=True,
                )
        finally:
            broker.close()


if __name__ == "__main__":
    main()
