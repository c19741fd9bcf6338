"""Time specifications: durations before a given instant, or ISO-8601 times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.timespec import TimeSpecError, parse_duration, parse_instant

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("7d", timedelta(days=7)),
        ("30s", timedelta(seconds=30)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        (" 10M ", timedelta(minutes=10)),
    ],
)
def test_durations(spec: str, expected: timedelta) -> None:
    assert parse_duration(spec) == expected
    assert parse_instant(spec, now=NOW) == NOW - expected


@pytest.mark.parametrize("spec", ["", "m", "15", "15x", "-1h", "2024-06-01"])
def test_not_durations(spec: str) -> None:
    assert parse_duration(spec) is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2024-05-31T08:30:00Z", datetime(2024, 5, 31, 8, 30, tzinfo=UTC)),
        ("2024-05-31T08:30:00z", datetime(2024, 5, 31, 8, 30, tzinfo=UTC)),
        ("2024-05-31T08:30:00+02:00", datetime(2024, 5, 31, 6, 30, tzinfo=UTC)),
        ("2024-05-31T08:30", datetime(2024, 5, 31, 8, 30, tzinfo=UTC)),
        ("2024-05-31", datetime(2024, 5, 31, tzinfo=UTC)),
        ("2024-05-31 08:30:00.250", datetime(2024, 5, 31, 8, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_iso_instants_are_utc(spec: str, expected: datetime) -> None:
    instant = parse_instant(spec, now=NOW)
    assert instant == expected
    assert instant.utcoffset() == timedelta(0)


def test_relative_to_an_aware_now_in_another_zone() -> None:
    now = NOW.astimezone(timezone(timedelta(hours=-7)))
    instant = parse_instant("1h", now=now)
    assert instant == NOW - timedelta(hours=1)
    assert instant.tzinfo is UTC


@pytest.mark.parametrize("spec", ["", "yesterday", "15 minutes", "2024-13-01", "1h ago"])
def test_rejects_nonsense_with_a_hint(spec: str) -> None:
    with pytest.raises(TimeSpecError, match="15m"):
        parse_instant(spec, now=NOW)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_instant("1h", now=NOW.replace(tzinfo=None))
