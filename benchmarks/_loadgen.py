"""A fixed-rate HTTP load generator: `python -m benchmarks._loadgen URL RATE SECONDS`.

Open loop: request i is due at start + i / RATE whatever happened to earlier
ones, and its latency runs from that due time to the end of its response, so
a stall shows in the latencies instead of silently lowering the rate
(coordinated omission). Keep-alive connections, at most `CONNECTIONS`; the
first `WARMUP_S` seconds are sent but not counted. Prints
one JSON object: requests sent, answered 2xx, errors (other statuses and
failed connections), and latency percentiles in milliseconds.
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
import orjson

CONNECTIONS = 64
WARMUP_S = 1.0
"""Seconds of requests at the same rate sent first and not counted: the
connections a burst opens (to the target and from it onwards) are set up then."""


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


async def run(url: str, rate: float, seconds: float) -> dict[str, object]:
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(due: float, counted: bool) -> None:
            nonlocal errors
            try:
                async with session.get(url) as response:
                    await response.read()
                    if response.status // 100 != 2:
                        errors += 1
                        return
            except (aiohttp.ClientError, OSError):
                errors += 1
                return
            if counted:
                latencies.append((time.perf_counter() - due) * 1000.0)

        async with session.get(url) as warm:  # one connection and the backend's first answer
            await warm.read()
        start = time.perf_counter() + 0.05
        warmup = int(rate * WARMUP_S)
        tasks = []
        for i in range(warmup + total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(due, counted=i >= warmup)))
        await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "sent": total,
        "ok": len(latencies),
        "errors": errors,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
    }


def main() -> None:
    url, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    print(orjson.dumps(asyncio.run(run(url, rate, seconds))).decode())


if __name__ == "__main__":
    main()
