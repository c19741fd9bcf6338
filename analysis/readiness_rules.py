"""Readiness criteria as data: a default and per-endpoint overrides.

The rules file's `readiness:` section (the comparator ignores it)::

    readiness:
      default: {target: 0.999, latency_budget: 0.10, max_candidate_errors: 0.001,
                quiet_hours: 24, confidence: 0.95}
      endpoints:
        "GET /users/{id}": {target: 0.9999}
        "POST /exercises/*": {latency_budget: 0.25}

Every key is optional; an endpoint's section overrides the default key by key.
Endpoint keys are exact names or globs (`*`, `?`, `[...]`): an exact name wins,
then the first matching glob in file order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from analysis.readiness import ReadinessCriteria


class ReadinessRulesError(ValueError):
    """The readiness section is malformed; the message names the key."""


@dataclass(frozen=True, slots=True)
class ReadinessBook:
    """The default criteria and the per-endpoint ones."""

    default: ReadinessCriteria = field(default_factory=ReadinessCriteria)
    endpoints: tuple[tuple[str, ReadinessCriteria], ...] = ()

    def for_endpoint(self, endpoint: str) -> ReadinessCriteria:
        for pattern, criteria in self.endpoints:
            if pattern == endpoint:
                return criteria
        for pattern, criteria in self.endpoints:
            if fnmatchcase(endpoint, pattern):
                return criteria
        return self.default


_KEYS = tuple(f.name for f in dataclasses.fields(ReadinessCriteria))


def parse_readiness_rules(data: Any) -> ReadinessBook:
    """A `ReadinessBook` from the `readiness:` mapping (None: the defaults)."""
    if data is None:
        return ReadinessBook()
    top = _mapping("readiness", data)
    unknown = sorted(set(map(str, top)) - {"default", "endpoints"})
    if unknown:
        raise ReadinessRulesError(
            f"readiness: unknown key {', '.join(unknown)} (known: default, endpoints)"
        )
    default = _criteria("readiness.default", top.get("default"), ReadinessCriteria())
    endpoints = _mapping("readiness.endpoints", top.get("endpoints") or {})
    return ReadinessBook(
        default,
        tuple(
            (str(name), _criteria(f"readiness.endpoints.{name}", section, default))
            for name, section in endpoints.items()
        ),
    )


def _mapping(where: str, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ReadinessRulesError(f"{where} must be a mapping, got {type(data).__name__}")
    return data


def _criteria(where: str, data: Any, base: ReadinessCriteria) -> ReadinessCriteria:
    values = _mapping(where, data or {})
    unknown = sorted(set(map(str, values)) - set(_KEYS))
    if unknown:
        raise ReadinessRulesError(
            f"{where}: unknown key {', '.join(unknown)} (known: {', '.join(_KEYS)})"
        )
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ReadinessRulesError(f"{where}.{key} must be a number, got {value!r}")
    try:
        return dataclasses.replace(base, **{k: float(v) for k, v in values.items()})
    except ValueError as error:
        raise ReadinessRulesError(f"{where}: {error}") from error
