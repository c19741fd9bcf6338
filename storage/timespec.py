"""Time specifications as people type them: `15m`, `1h`, `7d`, or ISO-8601.

Pure: the reference instant is an argument, never read from a clock in here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TimeSpecError(ValueError):
    """A time specification that is neither a duration like `15m` nor ISO-8601."""


def parse_duration(spec: str) -> timedelta | None:
    """`15m` → 15 minutes (units s, m, h, d, w); None when `spec` is not a duration."""
    match = _RELATIVE.match(spec)
    if match is None:
        return None
    amount, unit = float(match.group(1)), match.group(2).lower()
    return timedelta(**{_UNITS[unit]: amount})


def parse_instant(spec: str, *, now: datetime) -> datetime:
    """The aware UTC instant `spec` names.

    A duration means that long before `now` (which must be aware). An ISO-8601
    date or date-time without an offset is taken as UTC; `Z` is accepted.
    """
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    try:
        duration = parse_duration(spec)
        if duration is not None:
            return (now - duration).astimezone(UTC)
    except OverflowError:
        raise TimeSpecError(f"{spec!r} reaches too far back") from None
    text = spec.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise TimeSpecError(
            f"{spec!r} is not a time: use a duration like 15m, 1h, 7d "
            "or an ISO-8601 time like 2024-06-01T12:00:00Z"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)
