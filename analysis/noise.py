"""Noise learnt from the traffic: paths whose differences say nothing about correctness.

Without a second copy of the old backend, volatility shows in the differences
themselves. A path is noise when, over a sample of an endpoint's compared
requests, its value differs on a large share of pairs (`min_share`), takes
many distinct values on *both* sides (`min_distinct`), and the values belong
to a class whose differences carry no meaning:

- `uuid`: UUIDs on both sides → the `uuid` normaliser;
- `timestamp`: ISO-8601 instants less than `max_clock_skew_s` apart, by
  varying amounts or by under a second (each backend's own clock) → the
  `timestamp` normaliser with a tolerance;
- `token`: long opaque strings (session tokens, nonces) → `ignore_if` with a
  pattern both values must match;
- `float`: numbers apart by a tiny relative amount that varies (float jitter)
  → a relative `tolerance`;
- `sequence`: integers apart by varying amounts (each backend's own counter
  or generated ID) → `ignore`.

It never suggests hiding a real bug. A candidate that is consistently wrong
leaves a trace that rules the path out: differences other than a changed
value (a missing, added or renamed field, a changed type, null on one side);
few distinct values on a side (an enum changed, always null, a constant);
numbers off by the same amount or factor on every pair (off by one, cents for
euros); times shifted by the same whole seconds or more, or by more than
`max_clock_skew_s` (a time zone bug); strings where one side contains the other or they differ
only in case. Values of no known class are left alone, however volatile.

Pure: the caller reads the sample (`storage.noise_sample`) and turns the
suggested rules into YAML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

ValueClass = Literal["uuid", "timestamp", "token", "float", "sequence"]
"""What kind of volatile value a path holds; it decides the rule suggested."""

_UUID = re.compile(
    r"\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?"
)
_OPAQUE = re.compile(r"[A-Za-z0-9_\-+/=.~]+")
_INDEX = re.compile(r"(?<=/)\d+(?=/|$)")


@dataclass(frozen=True, slots=True)
class NoiseSettings:
    """How much volatility makes a path noise; the defaults suit most traffic."""

    min_share: float = 0.5
    min_distinct: float = 0.5
    min_pairs: int = 10
    max_clock_skew_s: float = 60.0
    max_jitter: float = 1e-6
    min_token_length: int = 16
    examples: int = 3


@dataclass(frozen=True, slots=True)
class Observed:
    """One stored difference: its request, JSON Pointer, kind and both values (None: none)."""

    request_id: str
    path: str
    kind: str
    primary: Any
    candidate: Any


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A rule for one endpoint's path, with the evidence for it.

    `path` is a path glob (array indices as `[*]`); `rule` is the path rule as
    the rules file spells it; `share` is the share of the sampled pairs that
    differ there; `distinct` the distinct values seen on each side.
    """

    endpoint: str
    path: str
    value_class: ValueClass
    rule: dict[str, Any]
    share: float
    pairs: int
    distinct: tuple[int, int]
    examples: tuple[tuple[Any, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "path": self.path,
            "class": self.value_class,
            "rule": self.rule,
            "share": self.share,
            "pairs": self.pairs,
            "distinct": {"primary": self.distinct[0], "candidate": self.distinct[1]},
            "examples": [{"primary": p, "candidate": c} for p, c in self.examples],
        }


def template(pointer: str) -> str:
    """A JSON Pointer with its array indices folded to `[*]` (a path glob)."""
    return _INDEX.sub("[*]", pointer) if pointer.startswith("/") else pointer


def learn_noise(
    endpoint: str,
    compared: int,
    differences: Iterable[Observed],
    settings: NoiseSettings = NoiseSettings(),
) -> tuple[Suggestion, ...]:
    """The noise among `differences` of `compared` sampled pairs of `endpoint`, by path."""
    by_path: dict[str, list[Observed]] = {}
    for observed in differences:
        by_path.setdefault(template(observed.path), []).append(observed)
    found = []
    for path, seen in sorted(by_path.items()):
        suggestion = _judge_path(endpoint, path, seen, compared, settings)
        if suggestion is not None:
            found.append(suggestion)
    return tuple(found)


def _judge_path(
    endpoint: str, path: str, seen: list[Observed], compared: int, settings: NoiseSettings
) -> Suggestion | None:
    if not path.startswith("/") or any(o.kind != "value_changed" for o in seen):
        return None  # headers, statuses and structural differences are never noise
    pairs = len({o.request_id for o in seen})
    if pairs < settings.min_pairs or compared <= 0 or pairs / compared < settings.min_share:
        return None
    primary = [o.primary for o in seen]
    candidate = [o.candidate for o in seen]
    distinct = (len(set(map(_hashable, primary))), len(set(map(_hashable, candidate))))
    if min(distinct) / len(seen) < settings.min_distinct:
        return None
    classified = _classify(primary, candidate, settings)
    if classified is None:
        return None
    value_class, rule = classified
    return Suggestion(
        endpoint=endpoint,
        path=path,
        value_class=value_class,
        rule=rule,
        share=min(1.0, pairs / compared),
        pairs=pairs,
        distinct=distinct,
        examples=tuple(zip(primary, candidate, strict=True))[: settings.examples],
    )


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, dict | list) else value


def _classify(
    primary: Sequence[Any], candidate: Sequence[Any], settings: NoiseSettings
) -> tuple[ValueClass, dict[str, Any]] | None:
    values = [*primary, *candidate]
    if all(isinstance(v, str) for v in values):
        return _classify_text(primary, candidate, settings)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return _classify_numbers(primary, candidate, settings)
    return None


def _classify_text(
    primary: Sequence[str], candidate: Sequence[str], settings: NoiseSettings
) -> tuple[ValueClass, dict[str, Any]] | None:
    related = sum(
        1
        for p, c in zip(primary, candidate, strict=True)
        if p in c or c in p or p.lower() == c.lower()
    )
    if related * 2 >= len(primary):
        return None  # one side derived from the other: a consistent change, not noise
    values = [*primary, *candidate]
    if all(_UUID.fullmatch(v.strip()) for v in values):
        return "uuid", {"normalise": "uuid"}
    instants = [(_instant(p), _instant(c)) for p, c in zip(primary, candidate, strict=True)]
    if all(p is not None and c is not None for p, c in instants):
        gaps = [(c - p).total_seconds() for p, c in instants if p is not None and c is not None]
        widest = max(abs(g) for g in gaps)
        if widest > settings.max_clock_skew_s or (len(set(gaps)) == 1 and widest >= 1):
            return None  # further than clocks drift, or shifted by whole seconds: a bug
        tolerance = max(1, math.ceil(widest * 2))
        return "timestamp", {"normalise": "timestamp", "timestamp_tolerance": tolerance}
    if all(len(v) >= settings.min_token_length and _OPAQUE.fullmatch(v) for v in values):
        return "token", {"ignore_if": _token_pattern(values)}
    return None


def _instant(text: str) -> datetime | None:
    if len(text) < 10 or not text[:4].isdigit():
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _token_pattern(values: Sequence[str]) -> str:
    """A character class covering every value's characters, and the shortest length."""
    chars = set("".join(values))
    parts = []
    for low, high in (("A", "Z"), ("a", "z"), ("0", "9")):
        if any(low <= ch <= high for ch in chars):
            parts.append(f"{low}-{high}")
    others = sorted(ch for ch in chars if not ch.isascii() or not ch.isalnum())
    parts.extend(re.escape(ch) if ch != "-" else r"\-" for ch in others)
    shortest = min(len(v) for v in values)
    return f"[{''.join(parts)}]{{{shortest},}}"


def _classify_numbers(
    primary: Sequence[float], candidate: Sequence[float], settings: NoiseSettings
) -> tuple[ValueClass, dict[str, Any]] | None:
    gaps = [c - p for p, c in zip(primary, candidate, strict=True)]
    if len(set(gaps)) == 1:
        return None  # off by the same amount every time
    relative = [abs(c - p) / max(abs(p), abs(c)) for p, c in zip(primary, candidate, strict=True)]
    widest = max(relative)
    if widest <= settings.max_jitter:
        tolerance = 10.0 ** math.ceil(math.log10(max(widest, 1e-15) * 10))
        return "float", {"tolerance": {"relative": tolerance}}
    ratios = {round(c / p, 9) for p, c in zip(primary, candidate, strict=True) if p}
    if len(ratios) == 1 and all(p for p in primary):
        return None  # scaled by the same factor every time
    if all(isinstance(v, int) for v in (*primary, *candidate)):
        return "sequence", {"ignore": True}
    return None
