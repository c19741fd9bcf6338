"""Alert delivery against a real HTTP receiver on 127.0.0.1 (an aiohttp server in the test).

Each format arrives once per state; a receiver that fails twice gets the alert
exactly once more; a dead or hanging receiver holds up neither the caller nor
the other webhooks, and its queue stays bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from alerting import Deliverer, RetryPolicy, parse_webhook
from analysis import Alert
from services._process import free_port
from tests.unit.alerting.samples import spike_alert

FAST = RetryPolicy(attempts=4, initial_s=0.05, max_s=0.2, timeout_s=30)
WAIT_S = 30.0


@dataclass
class Hit:
    status: int
    body: Any
    idempotency_key: str | None


@dataclass
class Receiver:
    """Records every request per path; can fail the first N, or hang, per path."""

    hits: dict[str, list[Hit]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    hanging: set[str] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        path = request.path
        status = 200
        if self.failures.get(path, 0) > 0:
            self.failures[path] -= 1
            status = 503
        self.hits.setdefault(path, []).append(
            Hit(status, body, request.headers.get("Idempotency-Key"))
        )
        self.changed.set()
        if path in self.hanging:
            await asyncio.Event().wait()  # never answers; the client's timeout ends it
        return web.json_response({}, status=status)

    def taken(self, path: str) -> list[Hit]:
        return [h for h in self.hits.get(path, []) if h.status == 200]

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not done():
                self.changed.clear()
                await self.changed.wait()


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{path:.*}", receiver.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@asynccontextmanager
async def delivering(*webhooks: str, queue_size: int = 100) -> AsyncIterator[Deliverer]:
    deliverer = Deliverer([parse_webhook(w, FAST) for w in webhooks], queue_size=queue_size)
    await deliverer.start()
    try:
        yield deliverer
    finally:
        await deliverer.close()


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def test_each_format_is_received_once_per_state() -> None:
    async def scenario() -> None:
        async with receiving() as rx:
            base = rx.url
            async with delivering(
                f"json={base}/json", f"slack={base}/slack", f"alertmanager={base}"
            ) as deliverer:
                firing = spike_alert()
                deliverer.offer(firing)
                deliverer.offer(firing)  # the next evaluation finds it again
                await deliverer.drain()
                deliverer.offer(firing)
                resolved = spike_alert(state="resolved")
                deliverer.offer(resolved)
                await deliverer.drain()
            paths = ("/json", "/slack", "/api/v2/alerts")
            assert {p: len(rx.hits.get(p, [])) for p in paths} == dict.fromkeys(paths, 2)
            key = f"{firing.id}:firing"
            for path in paths:
                keys = [h.idempotency_key for h in rx.hits[path]]
                assert keys == [key, f"{firing.id}:resolved"]
            assert rx.hits["/json"][0].body["alert"]["id"] == firing.id
            assert rx.hits["/json"][1].body["alert"]["state"] == "resolved"
            assert "GET /users/{id}" in rx.hits["/slack"][0].body["text"]
            am = rx.hits["/api/v2/alerts"]
            assert am[0].body[0]["labels"]["alert_id"] == firing.id
            assert "endsAt" not in am[0].body[0] and "endsAt" in am[1].body[0]

    run(scenario)


def test_a_receiver_failing_twice_then_taking_it_gets_it_exactly_once_more() -> None:
    async def scenario() -> None:
        async with receiving() as rx, delivering(f"json={rx.url}/flaky") as deliverer:
            rx.failures["/flaky"] = 2
            first = spike_alert()
            deliverer.offer(first)
            await deliverer.drain()
            # A later alert on the same queue: had the first been sent again, it
            # would have arrived before this one.
            second = spike_alert(endpoint="GET /orders")
            deliverer.offer(second)
            await deliverer.drain()
            hits = rx.hits["/flaky"]
            assert [h.status for h in hits] == [503, 503, 200, 200]
            assert [h.body["alert"]["id"] for h in hits] == [first.id] * 3 + [second.id]
            (stats,) = deliverer.stats.values()
            assert (stats.delivered, stats.attempts, stats.failed) == (2, 4, 0)

    run(scenario)


def test_a_dead_or_hanging_receiver_blocks_neither_the_caller_nor_the_others() -> None:
    async def scenario() -> None:
        async with receiving() as rx:
            rx.hanging.add("/hang")
            nobody = f"http://127.0.0.1:{free_port()}/refused"  # nothing listens there
            async with delivering(
                f"json={rx.url}/hang", f"json={nobody}", f"json={rx.url}/ok"
            ) as deliverer:
                alerts = [spike_alert(endpoint=f"GET /e{n}") for n in range(3)]
                for alert in alerts:
                    deliverer.offer(alert)  # synchronous: nothing to wait for
                await rx.until(lambda: len(rx.taken("/ok")) == 3)
                assert [h.body["alert"]["id"] for h in rx.taken("/ok")] == [a.id for a in alerts]
                # The hanging receiver is still on its first request.
                assert len(rx.hits["/hang"]) == 1
                refused = {w.url: s for w, s in deliverer.stats.items()}[nobody]
                assert refused.delivered == 0 and refused.attempts >= 1

    run(scenario)


def test_a_stuck_receivers_queue_is_bounded_and_keeps_the_newest() -> None:
    async def scenario() -> None:
        async with receiving() as rx:
            rx.hanging.add("/hang")
            async with delivering(f"json={rx.url}/hang", queue_size=2) as deliverer:
                alerts: list[Alert] = [spike_alert(endpoint=f"GET /e{n}") for n in range(10)]
                for alert in alerts:
                    deliverer.offer(alert)
                (stats,) = deliverer.stats.values()
                assert stats.dropped == 8
                await rx.until(lambda: bool(rx.hits.get("/hang")))
                # The oldest were dropped: the first one posted is the ninth offered.
                assert rx.hits["/hang"][0].body["alert"]["id"] == alerts[8].id

    run(scenario)
