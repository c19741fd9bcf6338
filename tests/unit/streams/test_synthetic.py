"""Synthetic traffic: deterministic, and its truth agrees with the exchanges it made."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from streams.capture import read_capture
from streams.exchange import Exchange
from streams.synthetic import DEFAULT_START, Fate, Mix, Spike, generate
from streams.synthetic.__main__ import main
from tests.samples import DEMO_TRAFFIC, demo_traffic

PAIRS = 400


@pytest.fixture(scope="module")
def traffic() -> tuple[list[Exchange], dict[str, Fate]]:
    generated = generate(PAIRS, seed=11)
    return generated.exchanges, generated.truth


def _sides(exchanges: list[Exchange]) -> dict[str, list[Exchange]]:
    by_request: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        by_request[exchange.request_id].append(exchange)
    return by_request


def test_same_seed_same_traffic() -> None:
    assert generate(120, seed=5) == generate(120, seed=5)
    assert generate(120, seed=5).exchanges != generate(120, seed=6).exchanges


def test_every_fate_occurs(traffic: tuple[list[Exchange], dict[str, Fate]]) -> None:
    _, truth = traffic
    assert len(truth) == PAIRS
    expected = Counter(fate.expected for fate in truth.values())
    assert set(expected) == {
        "match", "mismatch", "missing_primary", "missing_candidate", "error_primary",
        "error_candidate",
    }  # fmt: skip
    assert any(f.volatile for f in truth.values())
    assert any(f.duplicated for f in truth.values())
    assert any(f.out_of_order for f in truth.values())


def test_truth_agrees_with_the_exchanges(traffic: tuple[list[Exchange], dict[str, Fate]]) -> None:
    exchanges, truth = traffic
    by_request = _sides(exchanges)
    assert set(by_request) == set(truth)
    for request_id, fate in truth.items():
        records = by_request[request_id]
        counts = Counter(e.side for e in records)
        assert {e.endpoint for e in records} == {fate.endpoint}
        if fate.expected == "missing_candidate":
            assert counts == {"primary": 1}
            continue
        if fate.expected == "missing_primary":
            assert counts == {"candidate": 1}
            continue
        duplicated = {side: n for side, n in counts.items() if n > 1}
        assert duplicated == ({fate.duplicated: 2} if fate.duplicated else {})
        assert set(counts) == {"primary", "candidate"}
        primary = next(e for e in records if e.side == "primary")
        candidate = next(e for e in records if e.side == "candidate")
        assert (
            primary.started_at
            < candidate.started_at
            <= primary.started_at + timedelta(milliseconds=10)
        )
        first = records[0].side
        assert fate.out_of_order == (first == "candidate")
        if fate.expected in ("error_primary", "error_candidate"):
            failed, other = (primary, candidate) if fate.expected == "error_primary" else (
                candidate, primary,
            )  # fmt: skip
            assert failed.error in ("timeout", "connection refused")
            assert failed.status is None and failed.response_body == b""
            assert other.error is None and other.status is not None
            continue
        assert primary.error is None and candidate.error is None
        left, right = json.loads(primary.response_body), json.loads(candidate.response_body)
        differing = {k for k in left.keys() | right.keys() if left.get(k, ...) != right.get(k, ...)}
        assert differing == fate.paths
        assert fate.status_differs == (primary.status != candidate.status)
        if fate.expected == "match":
            assert not differing and not fate.status_differs
            if fate.scenario != "identical":
                assert primary.response_body != candidate.response_body
        else:
            assert differing or fate.status_differs
        if fate.volatile:
            assert fate.paths == {"attempt_id", "submitted_at"}


def test_graphql_errors_carry_errors_and_null_data(
    traffic: tuple[list[Exchange], dict[str, Fate]],
) -> None:
    exchanges, truth = traffic
    by_request = _sides(exchanges)
    errors = [rid for rid, fate in truth.items() if fate.scenario == "graphql_error"]
    assert errors
    for request_id in errors:
        candidate = next(e for e in by_request[request_id] if e.side == "candidate")
        body = json.loads(candidate.response_body)
        assert body["errors"] and all(v is None for v in body["data"].values())
        assert truth[request_id].endpoint.startswith("query ")


def test_event_time_advances(traffic: tuple[list[Exchange], dict[str, Fate]]) -> None:
    exchanges, _ = traffic
    primaries = [e.started_at for e in exchanges if e.side == "primary"]
    assert min(primaries) >= DEFAULT_START
    assert all(t.tzinfo is not None and t.microsecond % 1000 == 0 for t in primaries)
    # Requests arrive on the generator's simulated clock, about 25 ms apart on
    # average (event time in the records, not time taken by this test).
    starts = sorted(primaries)
    gaps = [(b - a).total_seconds() * 1000 for a, b in pairwise(starts)]
    assert 10 < sum(gaps) / len(gaps) < 50


def test_mix_controls_the_fates() -> None:
    only_matches = Mix(mismatch=0, volatile=0, orphan=0, error=0, duplicate=0, out_of_order=0)
    generated = generate(100, seed=4, mix=only_matches)
    assert {f.expected for f in generated.truth.values()} == {"match"}
    assert len(generated.exchanges) == 200
    assert not any(f.out_of_order or f.duplicated for f in generated.truth.values())
    with pytest.raises(ValueError, match="probability"):
        Mix(duplicate=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        Mix(match=0, mismatch=0, volatile=0, orphan=0, error=0)


def test_start_moves_the_clock() -> None:
    start = datetime(2030, 5, 1, tzinfo=UTC)
    generated = generate(10, seed=1, start=start)
    assert min(e.started_at for e in generated.exchanges) >= start
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(1, start=datetime(2030, 5, 1))


def test_command_writes_a_reproducible_capture(tmp_path: Path) -> None:
    out = tmp_path / "sample.jsonl"
    assert main(["--pairs", "30", "--seed", "7", "--out", str(out)]) == 0
    assert list(read_capture(out)) == generate(30, seed=7).exchanges


def test_shipped_sample_is_the_documented_command_output() -> None:
    sample = Path(__file__).parents[3] / "streams" / "samples" / "capture.jsonl"
    assert list(read_capture(sample)) == generate(300, seed=7).exchanges


def test_shipped_demo_traffic_is_the_documented_command_output() -> None:
    assert list(read_capture(DEMO_TRAFFIC)) == demo_traffic().exchanges


def test_a_spike_makes_its_endpoint_mismatch_in_its_time_only() -> None:
    spike = Spike("GET /courses", timedelta(minutes=2), timedelta(minutes=1), share=1.0)
    traffic = generate(600, seed=3, rate=2.0, spike=spike)
    starts = {e.request_id: e.started_at for e in traffic.exchanges if e.side == "primary"}
    inside = [
        fate
        for rid, fate in traffic.truth.items()
        if fate.endpoint == "GET /courses"
        and rid in starts
        and timedelta(minutes=2) <= starts[rid] - DEFAULT_START < timedelta(minutes=3)
        and fate.expected in ("match", "mismatch")
    ]
    assert inside and all(f.expected == "mismatch" for f in inside)
    # Without the spike the same seed gives the same traffic outside its window.
    plain = generate(600, seed=3, rate=2.0)
    assert len(plain.truth) == len(traffic.truth)


def test_the_spike_option_is_checked() -> None:
    with pytest.raises(ValueError, match="no endpoint"):
        generate(10, spike=Spike("GET /nowhere", timedelta(0), timedelta(minutes=1)))
    with pytest.raises(SystemExit):
        main(["--pairs", "5", "--spike", "nonsense", "--out", "x.jsonl"])
