"""Acks follow durability: the outbox and the worker's joiner, without Kafka."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

import storage
import streams.app
import streams.outbox
from comparator import Result, RuleSet
from streams.acks import AckLedger
from streams.app import Joiner, JudgingFailed, WorkerConfig
from streams.exchange import Exchange, Side
from streams.outbox import Outbox

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Message:
    partition: int = 0


@dataclass
class Event:
    """What the outbox needs of a Faust event: its partition and `ack()`."""

    name: str
    log: list[str]
    message: Message = field(default_factory=Message)

    def ack(self) -> bool:
        self.log.append(f"ack {self.name}")
        return True


def side(rid: str, which: Side, at_s: float = 0.0) -> Exchange:
    return Exchange(
        request_id=rid,
        side=which,
        endpoint="GET /x",
        method="GET",
        path="/x",
        started_at=T0 + timedelta(seconds=at_s),
        status=200,
        response_body=b'{"a": 1}',
    )


def joiner() -> Joiner:
    return Joiner(
        WorkerConfig(
            brokers=[], database_url="", rules=RuleSet.default(), grace=timedelta(seconds=30)
        )
    )


async def store_one_pair(outbox: Outbox, ledger: AckLedger, log: list[str]) -> None:
    """Join request r1 (events `p` and `c`) and hand its verdict to `outbox`."""
    j = joiner()
    p, c = Event("p", log), Event("c", log)
    ledger.track(p)
    ledger.track(c)
    j.offer(side("r1", "primary"), p, 0.0)
    results, release = j.offer(side("r1", "candidate"), c, 0.0)
    await outbox.add(results, release)
    await outbox.settle()


def test_events_are_acked_only_after_their_batch_is_written() -> None:
    log: list[str] = []

    def write(results: Sequence[Result]) -> int:
        log.append(f"write {len(results)}")
        return len(results)

    async def run() -> None:
        ledger = AckLedger()
        outbox = Outbox(write, ledger.release, batch_size=2, max_wait_s=10, retry_limit_s=1)
        j = joiner()
        for name, exchange in [
            ("p1", side("r1", "primary")),
            ("c1", side("r1", "candidate")),
            ("p2", side("r2", "primary")),
            ("c2", side("r2", "candidate")),
        ]:
            event = Event(name, log)
            ledger.track(event)
            results, release = j.offer(exchange, event, 0.0)
            await outbox.add(results, release)
        await outbox.settle()

    asyncio.run(run())
    assert log == ["write 2", "ack p1", "ack c1", "ack p2", "ack c2"]


def test_a_waiting_side_and_its_duplicates_are_held_until_the_pair() -> None:
    log: list[str] = []
    j = joiner()
    _, released = j.offer(side("r1", "primary"), Event("p", log), 0.0)
    assert released == []
    _, released = j.offer(side("r1", "primary"), Event("p-again", log), 0.0)
    assert released == []
    results, released = j.offer(side("r1", "candidate"), Event("c", log), 0.0)
    assert [r.request_id for r in results] == ["r1"]
    assert [e.name for e in released] == ["p", "p-again", "c"]
    _, released = j.offer(side("r1", "candidate"), Event("late", log), 0.0)
    assert [e.name for e in released] == ["late"]  # owes nothing: released with the next batch


def test_an_orphan_releases_the_events_it_held() -> None:
    log: list[str] = []
    j = joiner()
    j.offer(side("r1", "primary", at_s=0), Event("p", log), 100.0)
    results, released = j.offer(side("r2", "primary", at_s=31), Event("q", log), 131.0)
    assert [(r.request_id, r.comparison.verdict.value) for r in results] == [
        ("r1", "missing_candidate")
    ]
    assert [e.name for e in released] == ["p"]


def test_a_pair_waiting_for_its_secondary_holds_every_event_until_it_is_judged() -> None:
    log: list[str] = []
    j = joiner()
    j.offer(side("r0", "secondary"), Event("s0", log), 0.0)  # the endpoint sends secondaries
    j.offer(side("r1", "primary"), Event("p", log), 0.0)
    results, released = j.offer(side("r1", "candidate"), Event("c", log), 0.0)
    assert (results, released) == ([], [])
    results, released = j.offer(side("r1", "secondary"), Event("s", log), 0.0)
    assert [(r.request_id, r.secondary_paths) for r in results] == [("r1", ())]
    assert [e.name for e in released] == ["p", "c", "s"]
    # One whose secondary never comes is judged without it when it expires.
    j.offer(side("r2", "primary", at_s=1), Event("p2", log), 0.0)
    j.offer(side("r2", "candidate", at_s=1), Event("c2", log), 0.0)
    results, released = j.tick(0, datetime.fromtimestamp(40, tz=UTC))  # 40 s idle: past grace
    judged = {r.request_id: r.secondary_paths for r in results}
    assert judged["r2"] is None and {"p2", "c2"} <= {e.name for e in released}


def test_a_tick_advances_an_idle_partition_by_the_wall_time_since_its_last_record() -> None:
    log: list[str] = []
    j = joiner()
    # Published at wall time 1000 s, with event time T0 (a historic capture, say).
    j.offer(side("r1", "primary", at_s=0), Event("p", log), 1000.0)
    early = datetime.fromtimestamp(1020, tz=UTC)  # 20 s idle: within grace
    assert j.tick(0, early) == ([], [])
    late = datetime.fromtimestamp(1031, tz=UTC)  # 31 s idle: past grace
    results, released = j.tick(0, late)
    assert [r.request_id for r in results] == ["r1"] and [e.name for e in released] == ["p"]


def test_an_unreachable_store_is_retried_and_nothing_is_acked_meanwhile() -> None:
    log: list[str] = []
    failures = iter([True, True, False])

    def write(results: Sequence[Result]) -> int:
        if next(failures):
            log.append("unavailable")
            raise storage.StoreUnavailable("sqlite:///x", "down")
        log.append("write")
        return len(results)

    async def run() -> None:
        ledger = AckLedger()
        outbox = Outbox(write, ledger.release, batch_size=1, max_wait_s=10, retry_limit_s=30)
        await store_one_pair(outbox, ledger, log)

    asyncio.run(run())
    assert log == ["unavailable", "unavailable", "write", "ack p", "ack c"]


class Exited(Exception):
    """Stands in for the process exit the outbox asks for."""


def test_the_retry_limit_counts_the_time_failed_writes_take(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each failed write takes 2 s (a connection timing out); the backoff sleeps
    # add only 0.2 + 0.4 s. With a 5 s limit the third failure, 6 s after the
    # first attempt began, is the last.
    log: list[str] = []
    now = [0.0]

    def write(results: Sequence[Result]) -> int:
        log.append("unavailable")
        now[0] += 2.0
        raise storage.StoreUnavailable("postgresql://db/x", "timed out")

    def exit_(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(streams.outbox.os, "_exit", exit_)
    monkeypatch.setattr(streams.outbox.logging, "shutdown", lambda: None)

    async def run() -> None:
        ledger = AckLedger()
        outbox = Outbox(
            write,
            ledger.release,
            batch_size=1,
            max_wait_s=10,
            retry_limit_s=5,
            clock=lambda: now[0],
        )
        await store_one_pair(outbox, ledger, log)

    with pytest.raises(Exited) as exited:
        asyncio.run(run())
    assert exited.value.args == (streams.outbox.EXIT_STORE_UNAVAILABLE,)
    assert log == ["unavailable"] * 3  # nothing acked


@pytest.mark.parametrize("waited", [0.005, 0.02])
def test_a_partial_batch_is_flushed_once_it_is_due(waited: float) -> None:
    log: list[str] = []
    now = [100.0]  # the outbox's clock, moved by hand

    async def run() -> None:
        ledger = AckLedger()
        outbox = Outbox(
            lambda r: len(r),
            ledger.release,
            batch_size=100,
            max_wait_s=0.01,
            retry_limit_s=1,
            clock=lambda: now[0],
        )
        event = Event("e", log)
        ledger.track(event)
        await outbox.add([], [event])
        now[0] += waited
        await outbox.flush_if_due()
        await outbox.settle()

    asyncio.run(run())
    assert log == (["ack e"] if waited >= 0.01 else [])


def test_a_failing_judgement_still_releases_the_held_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object) -> Result:
        raise RuntimeError("comparator bug")

    monkeypatch.setattr(streams.app, "judge_pair", broken)
    log: list[str] = []
    j = joiner()
    j.offer(side("r1", "primary"), Event("p", log), 0.0)
    with pytest.raises(JudgingFailed) as failed:
        j.offer(side("r1", "candidate"), Event("c", log), 0.0)
    assert [e.name for e in failed.value.release] == ["p", "c"]


def test_the_next_batch_fills_while_one_is_written_and_then_waits_its_turn() -> None:
    log: list[str] = []
    gate = threading.Event()

    def write(results: Sequence[Result]) -> int:
        gate.wait(5)
        log.append(f"write {','.join(r.request_id for r in results)}")
        return len(results)

    async def run() -> None:
        ledger = AckLedger()
        outbox = Outbox(write, ledger.release, batch_size=1, max_wait_s=10, retry_limit_s=1)
        j = joiner()
        for rid in ("r1", "r2"):
            for which in ("primary", "candidate"):
                event = Event(f"{which[0]}{rid[1]}", log)
                ledger.track(event)
                results, release = j.offer(side(rid, which), event, 0.0)  # type: ignore[arg-type]
                if results:
                    log.append(f"judged {rid}")
                    if rid == "r2":
                        asyncio.get_running_loop().call_later(0.05, gate.set)
                await outbox.add(results, release)
        await outbox.settle()

    asyncio.run(run())
    # r2 was judged while r1's batch was still being written; its own batch
    # waited for r1's, and acks followed the writes in order.
    assert log == [
        "judged r1",
        "judged r2",
        "write r1",
        "ack p1",
        "ack c1",
        "write r2",
        "ack p2",
        "ack c2",
    ]


def test_the_joiners_gauges_count_evictions_across_a_reset() -> None:
    log: list[str] = []
    j = Joiner(WorkerConfig(brokers=[], database_url="", rules=RuleSet.default(), max_pending=1))
    j.offer(side("r1", "primary"), Event("p1", log), 0.0)
    assert (j.gauges().pending_sides, j.gauges().evictions) == (1, 0)
    results, _ = j.offer(side("r2", "primary", at_s=1), Event("p2", log), 0.0)
    assert [r.request_id for r in results] == ["r1"]  # made an orphan early
    assert (j.gauges().pending_sides, j.gauges().evictions) == (1, 1)
    assert j.gauges().pending_bytes > 0
    j.reset()  # a rebalance: the state starts again, the counter does not
    assert (j.gauges().pending_sides, j.gauges().evictions) == (0, 1)
