"""`generate`: deterministic synthetic shadow traffic with its ground truth."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from streams.exchange import Exchange, Side
from streams.synthetic.bodies import (
    MISMATCHES,
    ROUTES,
    STABLE,
    VOLATILE,
    Route,
    dump,
    mutate,
    padded,
    top_level_diff,
)
from streams.synthetic.fates import (
    DEFAULT_MIX,
    DEFAULT_START,
    EXPECTED,
    Fate,
    Mix,
    Scenario,
    Spike,
    Traffic,
)

_GROUPS = ("match", "mismatch", "volatile", "orphan", "error")
_REQUEST_HEADERS = {"accept": "application/json", "user-agent": "learner-web/5.2"}
_RESPONSE_HEADERS = {"content-type": "application/json; charset=utf-8", "cache-control": "no-store"}
_VERSIONS: dict[Side, str] = {
    "primary": "monolith-2024.12.3",
    "candidate": "platform-go-0.9.1",
    "secondary": "monolith-2024.12.3",
}


@dataclass(slots=True)
class _Answer:
    """One side's response, before it becomes an Exchange."""

    status: int | None
    body: bytes
    started_ms: float
    latency_ms: float
    error: str | None = None


def _order(rng: random.Random, answers: dict[Side, _Answer], *, candidate_first: bool) -> None:
    """Stretch one side's latency so that the sides complete in the order asked for.

    Publishing follows completion, so this fixes which record the gateway sends
    first; `Mix.out_of_order` then is the rate of candidate-first arrivals.
    """
    primary, candidate = answers["primary"], answers["candidate"]
    primary_done = primary.started_ms + primary.latency_ms
    candidate_done = candidate.started_ms + candidate.latency_ms
    if candidate_first and candidate_done >= primary_done:
        primary.latency_ms = candidate_done - primary.started_ms + rng.uniform(2, 40)
    elif not candidate_first and candidate_done <= primary_done:
        candidate.latency_ms = primary_done - candidate.started_ms + rng.uniform(1, 20)


def _stamp(base: datetime, millis: float) -> datetime:
    # Whole milliseconds: the wire format's precision, so captures round-trip exactly.
    return base + timedelta(milliseconds=round(millis))


def _scenario(rng: random.Random, group: str, route: Route) -> Scenario:
    if group == "match":
        matches: tuple[Scenario, ...] = ("identical", "key_order", "number_format")
        return rng.choices(matches, (6, 2, 2))[0]
    if group == "mismatch":
        return rng.choice(MISMATCHES[route.endpoint])
    if group == "volatile":
        return "volatile"
    if group == "orphan":
        return rng.choice(("orphan_primary", "orphan_candidate"))
    return rng.choice(("error_primary", "error_candidate"))


def _spiked(rng: random.Random, spike: Spike | None, route: Route, since_start: timedelta) -> bool:
    """Whether this request of `route` falls to the spike (drawing only when it could)."""
    if spike is None or not spike.covers(route.endpoint, since_start):
        return False
    return bool(MISMATCHES[route.endpoint]) and rng.random() < spike.share


def _bodies(
    rng: random.Random, scenario: Scenario, route: Route, value: dict[str, Any], moment: datetime
) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Primary and candidate JSON values, and the bytes each backend sends."""
    primary = value
    candidate: dict[str, Any]
    if route.volatile:
        primary = {**value, "submitted_at": _stamp(moment, 3).isoformat()}
        candidate = {
            **value,
            "attempt_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "submitted_at": _stamp(moment, 5).isoformat(),
        }
        return primary, candidate, dump(primary), dump(candidate)
    if scenario == "status_500":
        candidate = {"error": "internal server error", "code": "E500"}
    elif scenario in _MISMATCH_SCENARIOS:
        candidate = mutate(rng, scenario, value)
    else:
        candidate = value
    raw = dump(primary)
    if scenario == "key_order":
        return primary, candidate, raw, dump(candidate, indent=True, sort=True)
    if scenario == "number_format":
        return primary, candidate, raw, dump(candidate, floats=padded)
    return primary, candidate, raw, dump(candidate)


_MISMATCH_SCENARIOS = frozenset(
    ("value_changed", "field_missing", "field_added", "array_length", "graphql_error")
)


DEFAULT_RATE = 40.0
"""Requests per second of event time, on average (arrivals are a Poisson process)."""


def generate(
    pairs: int,
    seed: int = 0,
    mix: Mix = DEFAULT_MIX,
    start: datetime = DEFAULT_START,
    *,
    rate: float = DEFAULT_RATE,
    spike: Spike | None = None,
) -> Traffic:
    """`pairs` requests of synthetic shadow traffic; the same arguments give the same result.

    `start` (timezone-aware) is the event time of the first request; `rate` the
    requests per second; `spike`, a stretch of time in which one endpoint
    mostly mismatches.
    """
    if pairs < 0:
        raise ValueError(f"pairs must be non-negative, got {pairs}")
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    if spike is not None and spike.endpoint not in MISMATCHES:
        known = ", ".join(sorted(MISMATCHES))
        raise ValueError(f"no endpoint {spike.endpoint!r} to spike: the endpoints are {known}")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    rng = random.Random(seed)
    weights = (mix.match, mix.mismatch, mix.volatile, mix.orphan, mix.error)
    outbox: list[tuple[float, int, Exchange]] = []
    truth: dict[str, Fate] = {}
    clock = 0.0
    for _ in range(pairs):
        clock += rng.expovariate(rate / 1000.0)
        group = rng.choices(_GROUPS, weights)[0]
        if group == "volatile" and VOLATILE:
            route = rng.choice(VOLATILE)
        elif group in ("orphan", "error"):
            route = rng.choice(ROUTES)
        else:
            route = rng.choice(STABLE)
        scenario = _scenario(rng, group, route)
        since_start = timedelta(milliseconds=clock)
        if _spiked(rng, spike, route, since_start):
            scenario = rng.choice(MISMATCHES[route.endpoint])
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        path, query = route.path(rng)
        value = route.body(rng, path)
        moment = _stamp(start, clock)
        primary_value, candidate_value, primary_raw, candidate_raw = _bodies(
            rng, scenario, route, value, moment
        )
        ok = 201 if route.method == "POST" and not route.graphql else 200
        offset = rng.uniform(1.0, 8.0)
        answers: dict[Side, _Answer] = {
            "primary": _Answer(ok, primary_raw, clock, rng.lognormvariate(3.4, 0.5)),
            "candidate": _Answer(
                500 if scenario == "status_500" else ok,
                candidate_raw,
                clock + offset,
                rng.lognormvariate(3.2, 0.5),
            ),
        }
        if scenario in ("error_primary", "error_candidate"):
            failed = answers["primary" if scenario == "error_primary" else "candidate"]
            failed.error = rng.choice(("timeout", "connection refused"))
            failed.latency_ms = 3000.0 if failed.error == "timeout" else rng.uniform(0.5, 3.0)
            failed.status, failed.body = None, b""
        if scenario == "orphan_primary":
            del answers["candidate"]
        elif scenario == "orphan_candidate":
            del answers["primary"]
        paired = len(answers) == 2
        if paired and not scenario.startswith("error"):
            _order(rng, answers, candidate_first=rng.random() < mix.out_of_order)
        duplicated: Side | None = None
        if paired and rng.random() < mix.duplicate:
            duplicated = rng.choice(("primary", "candidate"))
        headers = {**_REQUEST_HEADERS, "x-request-id": request_id}
        headers["authorization"] = f"Bearer {rng.getrandbits(96):024x}"
        request_body = route.request(rng)
        if request_body:
            headers["content-type"] = "application/json"
        for side, answer in answers.items():
            exchange = Exchange(
                request_id=request_id,
                side=side,
                endpoint=route.endpoint,
                method=route.method,
                path=path,
                query=query,
                started_at=_stamp(start, answer.started_ms),
                status=answer.status,
                request_headers=headers,
                request_body=request_body,
                response_headers={} if answer.error else _RESPONSE_HEADERS,
                response_body=answer.body,
                content_type=None if answer.error else "application/json",
                latency_ms=round(answer.latency_ms, 3),
                backend_version=_VERSIONS[side],
                error=answer.error,
            )
            done = answer.started_ms + answer.latency_ms
            outbox.append((done, len(outbox), exchange))
            if side == duplicated:
                outbox.append((done + rng.uniform(50, 500), len(outbox), exchange))
        answered = paired and all(a.error is None for a in answers.values())
        truth[request_id] = Fate(
            expected=EXPECTED[scenario],
            scenario=scenario,
            endpoint=route.endpoint,
            paths=top_level_diff(primary_value, candidate_value) if answered else frozenset(),
            status_differs=answered and answers["primary"].status != answers["candidate"].status,
            volatile=scenario == "volatile",
            duplicated=duplicated,
        )
    outbox.sort(key=lambda item: (item[0], item[1]))
    exchanges = [exchange for _, _, exchange in outbox]
    _mark_out_of_order(exchanges, truth)
    return Traffic(exchanges=exchanges, truth=truth)


def _mark_out_of_order(exchanges: Sequence[Exchange], truth: dict[str, Fate]) -> None:
    """Record in the truth which requests' candidate was published before the primary."""
    first: dict[str, Side] = {}
    for exchange in exchanges:
        first.setdefault(exchange.request_id, exchange.side)
    for request_id, fate in truth.items():
        if fate.expected in ("missing_primary", "missing_candidate"):
            continue
        if first[request_id] == "candidate":
            truth[request_id] = replace(fate, out_of_order=True)
