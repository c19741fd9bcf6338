"""Traffic for the example: `python -m examples.traffic --target URL [--requests N] [--rate R]`.

Requests spread over the monolith's endpoints (a few order creations among
them, which the proxy keeps from the rewrite), at a fixed rate, each with an
X-Request-ID. Prints how many got each status; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter

import aiohttp

ENDPOINTS = (  # (weight, method, path template)
    (40, "GET", "/users/{n}"),
    (20, "GET", "/products/{n}"),
    (15, "GET", "/orders/{n}"),
    (15, "GET", "/search?q=term{n}"),
    (5, "GET", "/reports/{n}"),
    (5, "POST", "/orders"),
)


def plan(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (method, path) pairs drawn by weight, the same for the same seed."""
    rng = random.Random(seed)
    weights = [weight for weight, _, _ in ENDPOINTS]
    chosen = rng.choices(ENDPOINTS, weights=weights, k=count)
    return [(method, path.format(n=rng.randrange(10_000))) for _, method, path in chosen]


async def ready(session: aiohttp.ClientSession, target: str, timeout_s: float = 120.0) -> None:
    """Wait until `target` answers at all (a proxy still starting refuses connections)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            async with session.get(target + "/metrics") as response:
                await response.read()
                return
        except (aiohttp.ClientError, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def send(target: str, requests: list[tuple[str, str]], rate: float) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

        async def one(number: int, method: str, path: str) -> None:
            headers = {"X-Request-ID": f"example-{number}"}
            body = b'{"sku": "SKU-001", "qty": 1}' if method == "POST" else None
            try:
                async with session.request(method, target + path, data=body, headers=headers) as r:
                    await r.read()
                    outcomes[str(r.status)] += 1
            except (aiohttp.ClientError, OSError) as error:
                outcomes[type(error).__name__] += 1

        await ready(session, target)
        start = time.perf_counter()
        tasks = []
        for number, (method, path) in enumerate(requests):
            delay = start + number / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(number, method, path)))
        await asyncio.gather(*tasks)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="http://127.0.0.1:8080", help="the proxy's URL")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    outcomes = asyncio.run(send(args.target.rstrip("/"), plan(args.requests, args.seed), args.rate))
    print("traffic: " + ", ".join(f"{n} x {k}" for k, n in sorted(outcomes.items())))
    return 0 if set(outcomes) <= {"200", "201"} else 1


if __name__ == "__main__":
    sys.exit(main())
