"""Worker metrics without Kafka: label folding, counting what was stored, the exposition."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

import storage
from comparator import Comparison, Difference, Kind, Result, Verdict
from streams.metrics import OTHER, EndpointLabels, JoinGauges, WorkerMetrics
from streams.outbox import Outbox

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def result(
    rid: str, endpoint: str = "GET /a", verdict: Verdict = Verdict.MATCH, *kinds: Kind
) -> Result:
    return Result(
        request_id=rid,
        endpoint=endpoint,
        method="GET",
        observed_at=T0 + timedelta(seconds=len(rid)),
        primary_status=200,
        candidate_status=200,
        primary_latency_ms=1.0,
        candidate_latency_ms=1.0,
        comparison=Comparison(
            verdict=verdict,
            differences=tuple(Difference(path=f"/{k.value}", kind=k) for k in kinds),
            rules_version="v",
        ),
    )


def samples(metrics: WorkerMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition text, keyed by name and sorted labels."""
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def comparisons(metrics: WorkerMetrics) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["endpoint"], dict(labels)["verdict"]): value
        for (name, labels), value in samples(metrics).items()
        if name == "shadowdiff_comparisons_total"
    }


def test_endpoints_past_the_cap_fold_into_other_and_are_not_remembered() -> None:
    label = EndpointLabels(cap=2)
    assert [label(e) for e in ["GET /a", "GET /b", "GET /c", "GET /a", "GET /d"]] == [
        "GET /a",
        "GET /b",
        OTHER,
        "GET /a",
        OTHER,
    ]
    for n in range(1000):
        label(f"GET /flood/{n}")
    assert len(label._admitted) == 2


def test_a_cap_of_zero_counts_everything_as_other() -> None:
    assert EndpointLabels(cap=0)("GET /a") == OTHER
    with pytest.raises(ValueError, match="negative"):
        EndpointLabels(cap=-1)


def test_a_stored_batch_counts_verdicts_and_differences_by_label() -> None:
    metrics = WorkerMetrics(endpoint_cap=1)
    batch = [
        result("r1", "GET /a", Verdict.MATCH),
        result("r2", "GET /a", Verdict.MISMATCH, Kind.VALUE_CHANGED, Kind.FIELD_ADDED),
        result("r3", "GET /b", Verdict.MISMATCH, Kind.VALUE_CHANGED),
        result("r4", "GET /c", Verdict.MISSING_CANDIDATE),
    ]
    metrics.stored(batch, 4, 0.02)
    assert comparisons(metrics) == {
        ("GET /a", "match"): 1,
        ("GET /a", "mismatch"): 1,
        (OTHER, "mismatch"): 1,
        (OTHER, "missing_candidate"): 1,
    }
    found = samples(metrics)
    kinds = {
        (dict(labels)["endpoint"], dict(labels)["kind"]): value
        for (name, labels), value in found.items()
        if name == "shadowdiff_differences_total"
    }
    assert kinds == {
        ("GET /a", "value_changed"): 1,
        ("GET /a", "field_added"): 1,
        (OTHER, "value_changed"): 1,
    }
    assert found[("shadowdiff_store_batch_duration_seconds_count", ())] == 1
    assert found[("shadowdiff_store_batch_duration_seconds_sum", ())] == pytest.approx(0.02)


def test_a_replayed_batch_counts_nothing_and_a_partial_one_only_its_new_total() -> None:
    metrics = WorkerMetrics()
    batch = [result(f"r{n}", verdict=Verdict.MISMATCH) for n in range(10)]
    metrics.stored(batch, 10, 0.01)
    metrics.stored(batch, 0, 0.01)  # every one already stored
    assert comparisons(metrics) == {("GET /a", "mismatch"): 10}
    metrics.stored([*batch, result("new1"), result("new2")], 2, 0.01)
    assert sum(comparisons(metrics).values()) == 12
    # Told which request IDs were new, it counts exactly those.
    exact = WorkerMetrics()
    exact.stored([result("a", verdict=Verdict.MISMATCH), result("b")], {"a"}, 0.01)
    assert comparisons(exact) == {("GET /a", "mismatch"): 1}


def test_a_request_repeated_within_a_batch_counts_once_as_its_first_copy() -> None:
    metrics = WorkerMetrics()
    metrics.stored([result("r1"), result("r1", verdict=Verdict.MISMATCH), result("r2")], 2, 0.0)
    assert comparisons(metrics) == {("GET /a", "match"): 2}


def test_watched_numbers_are_read_at_scrape_time() -> None:
    now = [T0.timestamp() + 100]
    metrics = WorkerMetrics(clock=lambda: now[0])
    found = samples(metrics)
    # Nothing stored yet: no event-time lag to speak of.
    assert not any(name == "shadowdiff_event_time_lag_seconds" for name, _ in found)
    pending = [JoinGauges(pending_sides=3, pending_bytes=2048, evictions=1)]
    lags = {0: 5, 1: 0}
    metrics.watch_join(lambda: pending[0])
    metrics.watch_dead_letters(lambda: {"undecodable": 2})
    metrics.watch_consumer_lag(lambda: lags)
    metrics.stored([result("r1")], 1, 0.0)  # observed at T0 + 2 s
    found = samples(metrics)
    assert found[("shadowdiff_join_pending_sides", ())] == 3
    assert found[("shadowdiff_join_pending_bytes", ())] == 2048
    assert found[("shadowdiff_join_early_evictions_total", ())] == 1
    assert found[("shadowdiff_dead_letters_total", (("failure", "undecodable"),))] == 2
    assert found[("shadowdiff_consumer_lag_records", (("partition", "0"),))] == 5
    assert found[("shadowdiff_event_time_lag_seconds", ())] == pytest.approx(98)
    pending[0] = JoinGauges(pending_sides=0, pending_bytes=0, evictions=4)
    lags[0] = 0
    now[0] += 10
    found = samples(metrics)
    assert found[("shadowdiff_join_pending_sides", ())] == 0
    assert found[("shadowdiff_join_early_evictions_total", ())] == 4
    assert found[("shadowdiff_consumer_lag_records", (("partition", "0"),))] == 0
    assert found[("shadowdiff_event_time_lag_seconds", ())] == pytest.approx(108)


def test_each_worker_has_a_registry_of_its_own() -> None:
    one, two = WorkerMetrics(), WorkerMetrics()
    one.stored([result("r1")], 1, 0.0)
    assert comparisons(one) == {("GET /a", "match"): 1}
    assert comparisons(two) == {}


def test_the_outbox_reports_what_the_writer_inserted_and_each_retry() -> None:
    metrics = WorkerMetrics()
    attempts = [0]

    def write(results: Sequence[Result]) -> int:
        attempts[0] += 1
        if attempts[0] == 1:
            raise storage.StoreUnavailable("sqlite:///x", "down")
        return 1  # of the two, one was stored before

    async def run() -> None:
        outbox = Outbox(
            write, lambda _: None, batch_size=10, max_wait_s=0.0, retry_limit_s=60, observer=metrics
        )
        await outbox.add([result("old"), result("new", verdict=Verdict.MISMATCH)], [])
        await outbox.flush()
        await outbox.settle()

    asyncio.run(run())
    found = samples(metrics)
    assert found[("shadowdiff_store_retries_total", ())] == 1
    assert comparisons(metrics) == {("GET /a", "mismatch"): 1}
