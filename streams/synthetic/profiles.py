"""Traffic per endpoint profile, with known noise, known bugs and known latency.

Where `generate` mixes fates over a fixed API, `profiled` builds each endpoint
to order, for judging readiness and noise against ground truth:

- a rare bug: every `bug_every`-th request the candidate gets `/name` wrong;
- a latency regression: the candidate takes `slowdown` times as long;
- volatile fields (`VolatileClass`), differing on every pair while both sides
  are right: a per-response UUID, each backend's own clock, a session token,
  float jitter in the last digits, each backend's own sequence number;
- consistent bugs (`BugClass`), wrong on every pair: always null, off by one,
  a renamed field, an enum in other case, a time shifted by an hour.

The same arguments always give the same traffic.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson

from streams.exchange import Exchange, Side
from streams.synthetic.fates import DEFAULT_START

VolatileClass = Literal["uuid", "timestamp", "token", "float", "sequence"]
BugClass = Literal["always_null", "off_by_one", "renamed", "enum_changed", "shifted_time"]

VOLATILE_PATHS: dict[VolatileClass, str] = {
    "uuid": "/trace_id",
    "timestamp": "/generated_at",
    "token": "/session_token",
    "float": "/score",
    "sequence": "/sequence",
}
"""Where each volatile class sits in a body."""

BUG_PATHS: dict[BugClass, str] = {
    "always_null": "/discount",
    "off_by_one": "/quantity",
    "renamed": "/owner_name",
    "enum_changed": "/state",
    "shifted_time": "/updated_at",
}
"""Where each consistent bug sits in a body (a renamed field: its primary name)."""

SIDES: tuple[Side, Side] = ("primary", "candidate")

_TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@dataclass(frozen=True, slots=True)
class Profile:
    """One endpoint's traffic: how much, and what the candidate does to it."""

    endpoint: str
    requests: int
    bug_every: int = 0
    slowdown: float = 1.0
    volatile: tuple[VolatileClass, ...] = ()
    bugs: tuple[BugClass, ...] = ()


@dataclass(frozen=True, slots=True)
class Profiled:
    """The exchanges in publish order, and the ground truth of paths."""

    exchanges: list[Exchange]
    volatile: frozenset[tuple[str, str]]
    buggy: frozenset[tuple[str, str]]
    rare_bugs: dict[str, int]


class _Backend:
    """One side's state across requests: its own sequence counter."""

    def __init__(self, rng: random.Random) -> None:
        self.sequence = rng.randint(1_000, 9_000_000)

    def next_sequence(self, rng: random.Random) -> int:
        self.sequence += rng.randint(1, 40)
        return self.sequence


def _base(rng: random.Random, n: int, moment: datetime) -> dict[str, Any]:
    return {
        "id": n,
        "name": f"item-{rng.randint(1, 10**6)}",
        "discount": rng.choice((5, 10, 15, 20)),
        "quantity": rng.randint(1, 500),
        "owner_name": rng.choice(("Ada", "Grace", "Alan", "Edsger", "Barbara")),
        "state": rng.choice(("ACTIVE", "PAUSED", "CLOSED")),
        "updated_at": (moment - timedelta(seconds=rng.randint(0, 10**6))).isoformat(),
    }


def _volatile(
    rng: random.Random, kind: VolatileClass, moment: datetime, backend: _Backend, value: float
) -> Any:
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if kind == "timestamp":
        return (moment + timedelta(milliseconds=rng.uniform(0.5, 40))).isoformat()
    if kind == "token":
        return "".join(rng.choice(_TOKEN) for _ in range(32))
    if kind == "float":
        return value * (1 + rng.uniform(-1e-12, 1e-12))
    return backend.next_sequence(rng)


def _break(body: dict[str, Any], bug: BugClass) -> None:
    if bug == "always_null":
        body["discount"] = None
    elif bug == "off_by_one":
        body["quantity"] += 1
    elif bug == "renamed":
        body["ownerName"] = body.pop("owner_name")
    elif bug == "enum_changed":
        body["state"] = body["state"].lower()
    else:
        shifted = datetime.fromisoformat(body["updated_at"]) + timedelta(hours=1)
        body["updated_at"] = shifted.isoformat()


def profiled(
    profiles: Sequence[Profile], *, seed: int = 0, start: datetime = DEFAULT_START
) -> Profiled:
    """Traffic for every profile, interleaved in event time about 10 ms apart."""
    rng = random.Random(seed)
    queue = [p for p in profiles for _ in range(p.requests)]
    rng.shuffle(queue)
    backends = {(p.endpoint, side): _Backend(rng) for p in profiles for side in SIDES}
    seen: dict[str, int] = {}
    rare: dict[str, int] = {}
    outbox: list[tuple[datetime, int, Exchange]] = []
    clock = start
    for profile in queue:
        clock += timedelta(milliseconds=rng.uniform(2, 18))
        n = seen[profile.endpoint] = seen.get(profile.endpoint, 0) + 1
        base = _base(rng, n, clock)
        value = rng.uniform(0, 100)
        bodies: dict[Side, dict[str, Any]] = {}
        for side in SIDES:
            body = dict(base)
            for kind in profile.volatile:
                backend = backends[profile.endpoint, side]
                body[VOLATILE_PATHS[kind][1:]] = _volatile(rng, kind, clock, backend, value)
            bodies[side] = body
        for bug in profile.bugs:
            _break(bodies["candidate"], bug)
        if profile.bug_every and n % profile.bug_every == 0:
            bodies["candidate"]["name"] += "-v2"
            rare[profile.endpoint] = rare.get(profile.endpoint, 0) + 1
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        primary_ms = rng.lognormvariate(3.4, 0.3)
        latencies: dict[Side, float] = {
            "primary": primary_ms,
            "candidate": rng.lognormvariate(3.4, 0.3) * profile.slowdown,
        }
        for side in SIDES:
            started = clock + timedelta(milliseconds=1 if side == "candidate" else 0)
            exchange = Exchange(
                request_id=request_id,
                side=side,
                endpoint=profile.endpoint,
                method=profile.endpoint.split(" ", 1)[0],
                path=f"/things/{n}",
                started_at=started,
                status=200,
                response_headers={"content-type": "application/json"},
                response_body=orjson.dumps(bodies[side]),
                content_type="application/json",
                latency_ms=round(latencies[side], 3),
            )
            outbox.append(
                (started + timedelta(milliseconds=latencies[side]), len(outbox), exchange)
            )
    outbox.sort(key=lambda item: (item[0], item[1]))
    return Profiled(
        exchanges=[exchange for _, _, exchange in outbox],
        volatile=frozenset(
            (p.endpoint, VOLATILE_PATHS[kind]) for p in profiles for kind in p.volatile
        ),
        buggy=frozenset((p.endpoint, BUG_PATHS[bug]) for p in profiles for bug in p.bugs),
        rare_bugs=rare,
    )
