"""Traffic with a secondary on one endpoint: a volatile path everywhere, a bug on some.

`GET /quotes/{id}` sends every request to primary, candidate and secondary.
Each side stamps its own `generated_at` (volatile: all three differ on every
request), and the candidate adds one to the price on every `BUG_EVERY`-th
request (a bug: primary and secondary agree there). `GET /users/{id}` has the
same volatile field but no secondary. The sides of a request arrive in three
orders, the secondary first, last or between.

The shipped sample `streams/samples/secondary.jsonl` is `sample()`, written by
`python -m streams.synthetic.secondary streams/samples/secondary.jsonl`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import orjson

from streams.capture import write_capture
from streams.exchange import Exchange, Side

QUOTES = "GET /quotes/{id}"
USERS = "GET /users/{id}"
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
BUG_EVERY = 10
ORDERS: tuple[tuple[Side, ...], ...] = (
    ("secondary", "primary", "candidate"),
    ("primary", "candidate", "secondary"),
    ("candidate", "secondary", "primary"),
)


def _side(endpoint: str, i: int, side: Side, at: datetime, price: int) -> Exchange:
    body = {"id": i, "generated_at": f"{side}-{i}", "price": price}
    return Exchange(
        request_id=f"{endpoint.split('/')[1]}-{i}",
        side=side,
        endpoint=endpoint,
        method="GET",
        path=f"/{endpoint.split('/')[1]}/{i}",
        started_at=at,
        status=200,
        response_body=orjson.dumps(body),
        content_type="application/json",
        latency_ms=10.0,
    )


def quotes(count: int) -> list[Exchange]:
    """`count` requests of the endpoint with a secondary, the first one's secondary first."""
    found = []
    for i in range(count):
        at = T0 + timedelta(milliseconds=20 * i)
        for side in ORDERS[i % len(ORDERS)]:
            bug = side == "candidate" and i % BUG_EVERY == 0
            found.append(_side(QUOTES, i, side, at, 100 + i + bug))
    return found


def users(count: int) -> list[Exchange]:
    """`count` requests of the endpoint without a secondary (volatile path only)."""
    return [
        _side(USERS, i, side, T0 + timedelta(milliseconds=20 * i + 7), 5)
        for i in range(count)
        for side in ("primary", "candidate")
    ]


def bugs(count: int) -> int:
    """How many of `quotes(count)` carry the price bug."""
    return len(range(0, count, BUG_EVERY))


SAMPLE_QUOTES = 300
SAMPLE_USERS = 50


def sample() -> list[Exchange]:
    """The shipped sample: `quotes(300)` then `users(50)`."""
    return quotes(SAMPLE_QUOTES) + users(SAMPLE_USERS)


if __name__ == "__main__":
    write_capture(sys.argv[1], sample())
