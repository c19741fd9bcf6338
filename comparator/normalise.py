"""Value normalisers: when two differing strings still mean the same thing.

Each is applied only after plain equality failed, and only where a path rule
asks for it, so the common case never pays for a timestamp parse.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from comparator.rules import NodeRule

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\Z"
)
# Python 3.11's fromisoformat reads most of ISO 8601 but not a trailing "Z"
# with fractional seconds past 6 digits; those are trimmed to microseconds.
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_instant(text: str) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime (naive ones read as UTC), or None."""
    if len(text) < 10 or not text[:4].isdigit():
        return None
    try:
        value = datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def is_uuid(text: str) -> bool:
    return _UUID.match(text.strip().strip("{}")) is not None


def strings_equivalent(a: str, b: str, rule: NodeRule) -> bool:
    """Whether two different strings are equal under the rule's normalisers."""
    names = rule.normalise
    if "timestamp" in names:
        ta, tb = parse_instant(a), parse_instant(b)
        if ta is not None and tb is not None:
            return abs((ta - tb).total_seconds()) <= rule.timestamp_tolerance
    if "uuid" in names and is_uuid(a) and is_uuid(b):
        return True
    if "trim" in names:
        a, b = a.strip(), b.strip()
    if "casefold" in names:
        a, b = a.casefold(), b.casefold()
    return a == b
