"""The shipped sample, moved in time so that its last request started just now.

The sample was recorded on 2025-01-06; judged at those times, `--since 1h` and
every "recent" window would find nothing in the demo's database. The demo
moves every event by one shift instead, a whole number of minutes so that each
request falls in the same place within its minute and the report is the same.
Into a database that already holds results it moves the sample to where those
end, so running the demo again finds the results it stored before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from streams.exchange import Exchange

SAMPLE_ENDS_AT = datetime(2025, 1, 6, 9, 58, 19, 967000, tzinfo=UTC)
"""When the sample's last request started (a unit test reads the sample to keep it so)."""


def shift_to(now: datetime, ends_at: datetime = SAMPLE_ENDS_AT) -> timedelta:
    """The whole minutes that move `ends_at` to within the minute before `now`."""
    return timedelta(minutes=(now - ends_at) // timedelta(minutes=1))


def shift_into(stored_end: datetime, ends_at: datetime = SAMPLE_ENDS_AT) -> timedelta:
    """The whole minutes that make `ends_at`'s minute the last one stored (`stored_end`
    is the end of that minute), so a second demo into a database lands where the
    first did, and finds its results there instead of storing them again."""
    last_minute = ends_at - (ends_at - ends_at.replace(second=0, microsecond=0))
    return stored_end - timedelta(minutes=1) - last_minute


def shifted(exchanges: Iterable[Exchange], by: timedelta) -> Iterator[Exchange]:
    """`exchanges`, each started `by` later."""
    for exchange in exchanges:
        yield replace(exchange, started_at=exchange.started_at + by)
