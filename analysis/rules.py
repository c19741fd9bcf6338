"""Alert rules as data: defaults, per-endpoint overrides, parsed from a mapping.

The mapping has the shape the rules file's `alerts:` section will hold::

    default:
      grace_s: 120
      spike: {window_minutes: 5, factor: 2.0, margin: 0.05, min_requests: 50}
      candidate_errors: {threshold: 0.05}
      orphans: {enabled: false}
      new_signature: {min_history_requests: 1000}
    endpoints:
      "GET /users/{id}": {spike: {factor: 3.0}}
      "POST /exercises/*": {spike: {min_requests: 200}}

Every key is optional; an endpoint section overrides the default field by field.
Endpoint keys are globs (`*`, `?`, `[...]`); an exact name wins, then the first
matching glob in file order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, TypeVar, get_args

BaselineKind = Literal["window", "ewma"]
"""`window`: the previous `baseline_minutes` before the window, counted plainly;
`ewma`: every earlier minute, weighted down by half each `ewma_half_life_minutes`."""


class AlertRulesError(ValueError):
    """The alert rules are malformed; the message names the key and what is wrong."""


def _positive(where: str, **values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{where}.{name} must be positive, got {value}")


def _ratio(where: str, **values: float) -> None:
    for name, value in values.items():
        if not 0 <= value <= 1:
            raise ValueError(f"{where}.{name} must be between 0 and 1, got {value}")


@dataclass(frozen=True, slots=True)
class SpikeRule:
    """The mismatch rate of the last window against the endpoint's baseline.

    Fires when the window has at least `min_requests`, the baseline at least
    `min_baseline_requests`, the window's rate is at least `factor` times the
    baseline's and `margin` above it, and the window rate's Wilson lower bound
    (at `confidence`) is above the baseline's Wilson upper bound. Resolves once
    that has not held for `resolve_after_minutes` judged minutes in a row.
    """

    enabled: bool = True
    window_minutes: int = 5
    baseline: BaselineKind = "window"
    baseline_minutes: int = 24 * 60
    ewma_half_life_minutes: float = 6 * 60
    factor: float = 2.0
    margin: float = 0.05
    min_requests: int = 50
    min_baseline_requests: int = 500
    confidence: float = 0.95
    resolve_after_minutes: int = 5

    def __post_init__(self) -> None:
        _positive(
            "spike",
            window_minutes=self.window_minutes,
            baseline_minutes=self.baseline_minutes,
            ewma_half_life_minutes=self.ewma_half_life_minutes,
            factor=self.factor,
            min_requests=self.min_requests,
            min_baseline_requests=self.min_baseline_requests,
            resolve_after_minutes=self.resolve_after_minutes,
        )
        _ratio("spike", margin=self.margin)
        if not 0 < self.confidence < 1:
            raise ValueError(f"spike.confidence must be between 0 and 1, got {self.confidence}")


@dataclass(frozen=True, slots=True)
class RatioRule:
    """A share of the window's requests (candidate errors, orphans) over a threshold.

    Fires when the window has at least `min_requests` and the Wilson lower bound
    of the share (at `confidence`) is above `threshold`; resolves like a spike.
    """

    enabled: bool = True
    window_minutes: int = 10
    threshold: float = 0.05
    min_requests: int = 50
    confidence: float = 0.95
    resolve_after_minutes: int = 5

    def __post_init__(self) -> None:
        _positive(
            "ratio rule",
            window_minutes=self.window_minutes,
            min_requests=self.min_requests,
            resolve_after_minutes=self.resolve_after_minutes,
        )
        _ratio("ratio rule", threshold=self.threshold)
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")


@dataclass(frozen=True, slots=True)
class NewSignatureRule:
    """A signature never seen on the endpoint, or one marked fixed, appearing.

    Judged only once the endpoint has `min_history_requests` behind it: on a
    new endpoint every signature is new. A signature must appear `min_count`
    times in the window.
    """

    enabled: bool = True
    min_history_requests: int = 1000
    min_count: int = 1

    def __post_init__(self) -> None:
        _positive(
            "new_signature",
            min_history_requests=self.min_history_requests,
            min_count=self.min_count,
        )


@dataclass(frozen=True, slots=True)
class AlertRules:
    """Every rule for one endpoint, and `grace_s`: seconds of event time that must
    pass after a minute ends before it is judged (its rollup is complete)."""

    grace_s: float = 120.0
    spike: SpikeRule = field(default_factory=SpikeRule)
    candidate_errors: RatioRule = field(default_factory=RatioRule)
    orphans: RatioRule = field(default_factory=RatioRule)
    new_signature: NewSignatureRule = field(default_factory=NewSignatureRule)

    def __post_init__(self) -> None:
        if self.grace_s < 0:
            raise ValueError(f"grace_s must not be negative, got {self.grace_s}")


@dataclass(frozen=True, slots=True)
class RuleBook:
    """The default rules and the per-endpoint ones (keys are exact names or globs)."""

    default: AlertRules = field(default_factory=AlertRules)
    endpoints: tuple[tuple[str, AlertRules], ...] = ()

    def for_endpoint(self, endpoint: str) -> AlertRules:
        for pattern, rules in self.endpoints:
            if pattern == endpoint:
                return rules
        for pattern, rules in self.endpoints:
            if fnmatchcase(endpoint, pattern):
                return rules
        return self.default


_SECTIONS = {
    "spike": SpikeRule,
    "candidate_errors": RatioRule,
    "orphans": RatioRule,
    "new_signature": NewSignatureRule,
}
T = TypeVar("T")


def parse_alert_rules(data: Mapping[str, Any] | None) -> RuleBook:
    """A `RuleBook` from the mapping described in the module docstring.

    None or an empty mapping gives the defaults. Raises `AlertRulesError`
    naming the offending key.
    """
    if data is None:
        return RuleBook()
    _known_keys("alerts", data, {"default", "endpoints"})
    default = _rules("alerts.default", data.get("default") or {}, AlertRules())
    endpoints = data.get("endpoints") or {}
    if not isinstance(endpoints, Mapping):
        raise AlertRulesError("alerts.endpoints must map endpoint names (or globs) to rules")
    return RuleBook(
        default=default,
        endpoints=tuple(
            (str(name), _rules(f"alerts.endpoints.{name}", section or {}, default))
            for name, section in endpoints.items()
        ),
    )


def _rules(where: str, data: Any, base: AlertRules) -> AlertRules:
    if not isinstance(data, Mapping):
        raise AlertRulesError(f"{where} must be a mapping, got {type(data).__name__}")
    _known_keys(where, data, {"grace_s", *_SECTIONS})
    changes: dict[str, Any] = {}
    if "grace_s" in data:
        changes["grace_s"] = _value(f"{where}.grace_s", data["grace_s"], "float")
    for name, kind in _SECTIONS.items():
        if name in data:
            changes[name] = _section(f"{where}.{name}", data[name], getattr(base, name), kind)
    try:
        return dataclasses.replace(base, **changes)
    except ValueError as error:
        raise AlertRulesError(f"{where}: {error}") from error


def _section(where: str, data: Any, base: T, kind: type[T]) -> T:
    if not isinstance(data, Mapping):
        raise AlertRulesError(f"{where} must be a mapping, got {type(data).__name__}")
    fields = {f.name: str(f.type) for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    _known_keys(where, data, set(fields))
    values = {key: _value(f"{where}.{key}", value, fields[key]) for key, value in data.items()}
    try:
        return dataclasses.replace(base, **values)  # type: ignore[type-var]
    except ValueError as error:
        raise AlertRulesError(f"{where}: {error}") from error


def _value(where: str, value: Any, type_name: str) -> Any:
    if type_name == "bool":
        if isinstance(value, bool):
            return value
    elif type_name == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif type_name == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif type_name == "BaselineKind":
        if value in get_args(BaselineKind):
            return value
        raise AlertRulesError(f"{where} must be one of {', '.join(get_args(BaselineKind))}")
    raise AlertRulesError(f"{where} must be {_NAMES[type_name]}, got {value!r}")


_NAMES = {"bool": "true or false", "int": "a whole number", "float": "a number"}


def _known_keys(where: str, data: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise AlertRulesError(
            f"{where}: unknown key {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
