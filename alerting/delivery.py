"""Deliver alerts to webhooks in the background, so a failing receiver never slows the caller.

`Deliverer.offer` is synchronous and never waits: it puts the alert on each
webhook's bounded queue (when a queue is full, its oldest alert is dropped and
counted, since a newer state of an alert matters more than an older one). One
task per webhook posts its queue in order, retrying with backoff
(`RetryPolicy`), so a dead or slow receiver holds up only itself.

Each alert is sent once per state: an (ID, state) pair already delivered to a
webhook, or waiting in its queue, is not queued for it again, so an evaluator
may offer every alert it finds at every evaluation. A webhook with
`repeat_firing_s` (Alertmanager's) gets a still-firing alert again once that
long has passed, as Alertmanager expects. Every request carries the dedupe
key (`Idempotency-Key` header, and in the payload) for receivers that
deduplicate themselves across restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import aiohttp

from alerting.formats import payload
from alerting.webhooks import Webhook
from analysis import Alert

log = logging.getLogger("shadowdiff.alerting")

DEFAULT_QUEUE_SIZE = 1000
REMEMBERED = 10_000
"""Delivered dedupe keys remembered per webhook (the oldest are forgotten first)."""


@dataclass(slots=True)
class DeliveryStats:
    """What happened to one webhook's alerts in this process."""

    delivered: int = 0
    attempts: int = 0
    failed: int = 0  # given up after the retry policy's attempts, or refused with a 4xx
    dropped: int = 0  # pushed out of a full queue
    skipped: int = 0  # already delivered in this state


class _Receiver:
    """One webhook's queue, memory of what it got, and counts."""

    def __init__(self, webhook: Webhook, queue_size: int) -> None:
        self.webhook = webhook
        self.queue: asyncio.Queue[Alert] = asyncio.Queue(queue_size)
        self.sent: OrderedDict[str, float] = OrderedDict()  # dedupe key -> when
        self.queued: set[str] = set()  # dedupe keys waiting in the queue
        self.stats = DeliveryStats()


class Deliverer:
    """Background delivery of alerts to `webhooks`; see the module docstring.

    Use inside a running event loop: `await start()`, then `offer()` from the
    loop's thread, and `await close()` at the end.
    """

    def __init__(
        self,
        webhooks: Sequence[Webhook],
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        self._receivers = [_Receiver(w, queue_size) for w in webhooks]
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def stats(self) -> dict[Webhook, DeliveryStats]:
        """Counts per webhook (`Webhook.name` shows one without its secrets)."""
        return {r.webhook: r.stats for r in self._receivers}

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._tasks = [
            asyncio.create_task(self._run(r), name=f"deliver-{r.webhook.name}")
            for r in self._receivers
        ]

    def remember(self, delivered: Iterable[tuple[str, str]]) -> None:
        """Take the alerts (ID, state) as delivered just now: a restarted process,
        whose store says it raised them before, does not send them again."""
        now = self._clock()
        keys = [f"{alert_id}:{state}" for alert_id, state in delivered]
        for receiver in self._receivers:
            for key in keys:
                receiver.sent[key] = now
            while len(receiver.sent) > REMEMBERED:
                receiver.sent.popitem(last=False)

    def offer(self, alert: Alert) -> None:
        """Queue `alert` for every webhook; never blocks, never raises for a receiver."""
        for receiver in self._receivers:
            key = alert.dedupe_key
            if key in receiver.queued or self._delivered_already(receiver, alert):
                receiver.stats.skipped += 1
                continue
            if receiver.queue.full():
                oldest = receiver.queue.get_nowait()
                receiver.queued.discard(oldest.dedupe_key)
                receiver.queue.task_done()
                receiver.stats.dropped += 1
            receiver.queue.put_nowait(alert)
            receiver.queued.add(key)

    async def drain(self) -> None:
        """Wait until every queued alert was delivered or given up."""
        await asyncio.gather(*(r.queue.join() for r in self._receivers))

    async def close(self) -> None:
        """Stop delivering (queued alerts are abandoned) and release the connections."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _delivered_already(self, receiver: _Receiver, alert: Alert) -> bool:
        sent_at = receiver.sent.get(alert.dedupe_key)
        if sent_at is None:
            return False
        repeat = receiver.webhook.repeat_firing_s
        return alert.state != "firing" or repeat is None or self._clock() - sent_at < repeat

    async def _run(self, receiver: _Receiver) -> None:
        while True:
            alert = await receiver.queue.get()
            receiver.queued.discard(alert.dedupe_key)
            try:
                if self._delivered_already(receiver, alert):
                    receiver.stats.skipped += 1
                elif await self._deliver(receiver, alert):
                    receiver.stats.delivered += 1
                    receiver.sent[alert.dedupe_key] = self._clock()
                    receiver.sent.move_to_end(alert.dedupe_key)
                    while len(receiver.sent) > REMEMBERED:
                        receiver.sent.popitem(last=False)
                else:
                    receiver.stats.failed += 1
            except Exception:  # a bug must not end the webhook's task
                log.exception("delivering alert %s to %s failed", alert.id, receiver.webhook.name)
                receiver.stats.failed += 1
            finally:
                receiver.queue.task_done()

    async def _deliver(self, receiver: _Receiver, alert: Alert) -> bool:
        """Post until it is taken or the retry policy is spent; whether it was taken."""
        assert self._session is not None, "Deliverer.start() was not awaited"
        webhook, retry = receiver.webhook, receiver.webhook.retry
        body = payload(alert, webhook.format)
        headers = {"Idempotency-Key": alert.dedupe_key}
        timeout = aiohttp.ClientTimeout(total=retry.timeout_s)
        for attempt in range(1, retry.attempts + 1):
            receiver.stats.attempts += 1
            try:
                async with self._session.post(
                    webhook.url, json=body, headers=headers, timeout=timeout
                ) as response:
                    if response.status < 300:
                        return True
                    problem = f"HTTP {response.status}"
                    if 400 <= response.status < 500 and response.status not in (408, 429):
                        log.error("%s refused alert %s: %s", webhook.name, alert.id, problem)
                        return False
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = f"{type(error).__name__}: {error}"
            if attempt < retry.attempts:
                log.warning(
                    "%s: alert %s not delivered (%s), retrying", webhook.name, alert.id, problem
                )
                await asyncio.sleep(retry.delay(attempt))
        log.error(
            "%s: giving up on alert %s after %d attempts (%s)",
            webhook.name,
            alert.id,
            retry.attempts,
            problem,
        )
        return False
