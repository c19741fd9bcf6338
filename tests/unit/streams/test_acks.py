"""Acks go to Faust in offset order only, so its commits never skip an owed event."""

from __future__ import annotations

from dataclasses import dataclass, field

from streams.acks import AckLedger


@dataclass
class Message:
    partition: int
    offset: int


@dataclass(eq=False)
class Event:
    message: Message
    acked: list[tuple[int, int]] = field(default_factory=list)

    def ack(self) -> bool:
        self.acked.append((self.message.partition, self.message.offset))
        return True


def events(partition: int, count: int, acked: list[tuple[int, int]]) -> list[Event]:
    return [Event(Message(partition, offset), acked) for offset in range(count)]


def test_a_released_event_waits_for_every_earlier_one() -> None:
    acked: list[tuple[int, int]] = []
    ledger = AckLedger()
    first, second, third = events(0, 3, acked)
    for e in (first, second, third):
        ledger.track(e)
    assert ledger.release([second, third]) == 0  # the first side still waits
    assert acked == []
    assert ledger.release([first]) == 3
    assert acked == [(0, 0), (0, 1), (0, 2)]
    assert len(ledger) == 0


def test_partitions_are_independent() -> None:
    acked: list[tuple[int, int]] = []
    ledger = AckLedger()
    zero, one = events(0, 2, acked), events(1, 2, acked)
    for e in zero + one:
        ledger.track(e)
    ledger.release([one[0], zero[1]])
    assert acked == [(1, 0)]


def test_a_stale_release_never_acks_the_redelivered_twin() -> None:
    acked: list[tuple[int, int]] = []
    ledger = AckLedger()
    (old,) = events(0, 1, acked)
    ledger.track(old)
    ledger.reset()  # a rebalance: offset 0 will be delivered again
    (twin,) = events(0, 1, acked)
    ledger.track(twin)
    assert ledger.release([old]) == 0
    assert acked == [] and len(ledger) == 1
