"""The join's semantics, checked without Kafka: pairs, duplicates, orphans, event time."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from comparator import Verdict
from streams.exchange import Exchange, Side
from streams.join import Expired, JoinState, Orphan, Pair

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GRACE = timedelta(seconds=30)


def side(request_id: str, which: Side, at_s: float = 0.0, status: int = 200) -> Exchange:
    return Exchange(
        request_id=request_id,
        side=which,
        endpoint="GET /users/{id}",
        method="GET",
        path=f"/users/{request_id}",
        started_at=T0 + timedelta(seconds=at_s),
        status=status,
    )


def test_first_side_waits_and_second_completes_the_pair() -> None:
    join = JoinState(GRACE)
    primary, candidate = side("r1", "primary"), side("r1", "candidate", 0.01)
    assert join.offer(primary) is None
    assert join.offer(candidate) == Pair(primary=primary, candidate=candidate)
    assert join.counters.paired == 1


def test_candidate_first_still_pairs_in_the_right_order() -> None:
    join = JoinState(GRACE)
    primary, candidate = side("r1", "primary"), side("r1", "candidate")
    assert join.offer(candidate) is None
    pair = join.offer(primary)
    assert pair is not None
    assert (pair.primary, pair.candidate) == (primary, candidate)


@pytest.mark.parametrize(
    ("sequence", "pairs", "duplicates"),
    [
        (["primary", "primary", "candidate"], 1, 1),  # duplicate while waiting
        (["primary", "candidate", "candidate"], 1, 1),  # late duplicate after the pair
        (["primary", "candidate", "primary"], 1, 1),
        (["candidate", "candidate", "primary", "primary"], 1, 2),
    ],
)
def test_duplicates_are_absorbed(sequence: list[Side], pairs: int, duplicates: int) -> None:
    join = JoinState(GRACE)
    results = [join.offer(side("r1", which)) for which in sequence]
    assert sum(isinstance(r, Pair) for r in results) == pairs
    assert join.counters.duplicates == duplicates


def test_first_copy_of_a_duplicated_side_wins() -> None:
    join = JoinState(GRACE)
    join.offer(side("r1", "primary", status=200))
    join.offer(side("r1", "primary", status=500))
    pair = join.offer(side("r1", "candidate"))
    assert pair is not None and pair.primary.status == 200


def test_a_side_expires_only_after_the_grace_period_of_event_time() -> None:
    join = JoinState(GRACE)
    join.offer(side("r1", "primary", at_s=0))
    assert join.advance(0, T0 + GRACE) == []  # exactly at the horizon: still waiting
    orphans = join.advance(0, T0 + GRACE + timedelta(milliseconds=1))
    assert [o.request_id for o in orphans] == ["r1"]
    assert isinstance(orphans[0], Orphan) and orphans[0].verdict is Verdict.MISSING_CANDIDATE
    assert join.pending == {}


def test_a_candidate_alone_is_missing_its_primary() -> None:
    join = JoinState(GRACE)
    join.offer(side("r1", "candidate"))
    (orphan,) = join.drain()
    assert isinstance(orphan, Orphan) and orphan.verdict is Verdict.MISSING_PRIMARY


def test_paired_requests_never_become_orphans_and_leave_the_state() -> None:
    join = JoinState(GRACE)
    join.offer(side("r1", "primary"))
    join.offer(side("r1", "candidate"))
    assert join.advance(0, T0 + timedelta(hours=1)) == []
    assert join.pending == {}
    assert join.drain() == []


def test_watermark_never_moves_backwards() -> None:
    join = JoinState(GRACE)
    join.advance(0, T0 + timedelta(minutes=5))
    join.offer(side("r1", "primary", at_s=0))  # late arrival, older than the horizon
    assert join.advance(0, T0) == []
    assert [o.request_id for o in join.advance(0, T0 + timedelta(minutes=6))] == ["r1"]


def test_partitions_keep_their_own_clocks() -> None:
    join = JoinState(GRACE)
    join.offer(side("a", "primary", at_s=0), partition=0)
    join.offer(side("b", "primary", at_s=0), partition=1)
    # Partition 0 races ahead (a worker catching up); partition 1's side must wait.
    orphans = join.advance(0, T0 + timedelta(minutes=10))
    assert [o.request_id for o in orphans] == ["a"]
    assert set(join.pending) == {"b"}


def test_a_secondary_alone_is_dropped() -> None:
    join = JoinState(GRACE)
    assert join.offer(side("r1", "secondary")) is None
    assert join.drain() == []
    assert join.pending == {} and join.counters.ignored == 1


def test_negative_grace_is_refused() -> None:
    with pytest.raises(ValueError, match="grace"):
        JoinState(timedelta(seconds=-1))


def test_shuffled_traffic_gives_every_request_exactly_one_outcome() -> None:
    """Any arrival order within the grace period: pairs are pairs, loners are orphans."""
    rng = random.Random(5)
    events: list[Exchange] = []
    expected_orphans = set()
    for i in range(2000):
        rid = f"r{i}"
        at = i * 0.01
        kinds: list[Side] = ["primary", "candidate"]
        if i % 17 == 0:
            kinds = [rng.choice(kinds)]
            expected_orphans.add(rid)
        if i % 13 == 0:
            kinds.append(kinds[0])  # a duplicate
        events.extend(side(rid, k, at + rng.uniform(0, 5)) for k in kinds)
    rng.shuffle(events)  # bounded disorder: at most ~20 s of event time apart
    events.sort(key=lambda e: e.started_at + timedelta(seconds=rng.uniform(0, 10)))

    join = JoinState(GRACE)
    paired: list[str] = []
    orphaned: list[Expired] = []
    for event in events:
        pair = join.offer(event)
        if pair is not None:
            paired.append(pair.primary.request_id)
        orphaned.extend(join.advance(0, event.started_at))
    orphaned.extend(join.drain())

    assert len(paired) == len(set(paired)) == 2000 - len(expected_orphans)
    assert {o.request_id for o in orphaned} == expected_orphans
    assert len(orphaned) == len(expected_orphans)


def test_a_full_state_orphans_its_oldest_sides_early() -> None:
    join = JoinState(GRACE, max_pending=3)
    for i in range(5):
        join.offer(side(f"r{i}", "primary", at_s=i))
    evicted = join.advance(0, T0 + timedelta(seconds=5))
    assert [o.request_id for o in evicted] == ["r0", "r1"]
    assert len(join.pending) == 3 and join.counters.evicted == 2


def test_the_byte_limit_counts_bodies_across_partitions() -> None:
    join = JoinState(GRACE, max_pending_bytes=3100)  # two sides of ~1.5 KB fit
    big = b"x" * 1000
    for i, partition in enumerate([0, 1, 0, 1]):
        exchange = side(f"r{i}", "candidate", at_s=i)
        join.offer(replace(exchange, response_body=big), partition=partition)
    evicted = join.advance(1, T0 + timedelta(seconds=4))
    assert [o.request_id for o in evicted] == ["r0", "r1"]
    assert join.pending_bytes <= 3100 and set(join.pending) == {"r2", "r3"}
    assert all(isinstance(o, Orphan) and o.verdict is Verdict.MISSING_PRIMARY for o in evicted)


def test_waiting_tells_pending_from_paired() -> None:
    join = JoinState(GRACE)
    join.offer(side("r1", "primary"))
    assert join.waiting("r1") and join.pending_bytes > 0
    join.offer(side("r1", "candidate"))
    assert not join.waiting("r1") and not join.waiting("unknown")
    assert join.pending_bytes == 0  # a pair's sides leave with it; its entry absorbs duplicates
    assert join.offer(side("r1", "candidate")) is None and join.counters.duplicates == 1


def test_without_a_secondary_seen_on_the_endpoint_a_pair_comes_out_at_once() -> None:
    join = JoinState(GRACE)
    join.offer(side("s", "secondary"))  # on another endpoint
    assert join.secondary_endpoints == {"GET /users/{id}"}
    other = replace(side("r1", "primary"), endpoint="GET /orders")
    assert join.offer(other) is None
    pair = join.offer(replace(side("r1", "candidate"), endpoint="GET /orders"))
    assert pair is not None and pair.secondary is None


@pytest.mark.parametrize(
    "order",
    [
        ["primary", "candidate", "secondary"],
        ["secondary", "candidate", "primary"],
        ["candidate", "secondary", "primary"],
    ],
)
def test_once_an_endpoint_sent_a_secondary_its_pairs_wait_for_theirs(order: list[Side]) -> None:
    join = JoinState(GRACE)
    join.offer(side("r0", "secondary"))
    sides = {which: side("r1", which, at_s=i) for i, which in enumerate(order)}
    assert [join.offer(sides[which]) for which in order[:2]] == [None, None]
    assert join.waiting("r1")
    pair = join.offer(sides[order[2]])
    assert pair == Pair(sides["primary"], sides["candidate"], sides["secondary"])
    assert not join.waiting("r1") and join.counters.with_secondary == 1
    assert join.offer(side("r1", "secondary")) is None and join.counters.duplicates == 1


def test_a_pair_whose_secondary_never_comes_expires_as_a_pair_without_it() -> None:
    join = JoinState(GRACE)
    join.offer(side("r0", "secondary"))
    primary, candidate = side("r1", "primary"), side("r1", "candidate", at_s=1)
    join.offer(primary)
    assert join.offer(candidate) is None
    assert join.advance(0, T0 + GRACE) == []
    expired = join.advance(0, T0 + GRACE + timedelta(seconds=1))
    assert Pair(primary, candidate) in expired
    assert join.counters.paired == 1 and join.counters.with_secondary == 0
    assert join.pending == {} and join.pending_bytes == 0


def test_a_primary_and_its_secondary_without_a_candidate_is_an_orphan() -> None:
    join = JoinState(GRACE)
    join.offer(side("r1", "secondary"))
    join.offer(side("r1", "primary"))
    (orphan,) = join.drain()
    assert isinstance(orphan, Orphan) and orphan.verdict is Verdict.MISSING_CANDIDATE
    assert join.pending_bytes == 0
