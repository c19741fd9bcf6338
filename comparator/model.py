"""The comparator's value objects: what goes in, what comes out.

Everything here is immutable. An `Observation` is one backend's answer to one
request; a `Comparison` is the verdict on a pair of them, with the differences
that justify it. These types cross every boundary of the system (the stream join,
the result store, the CLI), so they carry no behaviour beyond construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """The outcome for one request. A closed set, stored as text."""

    MATCH = "match"
    MISMATCH = "mismatch"
    ERROR_PRIMARY = "error_primary"
    ERROR_CANDIDATE = "error_candidate"
    ERROR_BOTH = "error_both"
    # Decided by the join, not by `compare`: one side never arrived in time.
    MISSING_PRIMARY = "missing_primary"
    MISSING_CANDIDATE = "missing_candidate"

    @property
    def is_orphan(self) -> bool:
        return self in (Verdict.MISSING_PRIMARY, Verdict.MISSING_CANDIDATE)


class Kind(StrEnum):
    """The closed taxonomy of differences (after Diffy's difference types).

    Stored as text with a check constraint, so adding a kind is a migration.
    """

    STATUS = "status"
    HEADER = "header"
    CONTENT_TYPE = "content_type"
    VALUE_CHANGED = "value_changed"
    TYPE_CHANGED = "type_changed"
    FIELD_MISSING = "field_missing"  # present in primary, absent in candidate
    FIELD_ADDED = "field_added"  # absent in primary, present in candidate
    ARRAY_LENGTH = "array_length"
    ARRAY_ORDER = "array_order"  # same multiset of elements, other order
    NUMERIC_TOLERANCE = "numeric_tolerance"  # differs within tolerance: recorded, not a mismatch
    GRAPHQL_ERROR = "graphql_error"
    GRAPHQL_NULL_DATA = "graphql_null_data"
    BODY_UNPARSEABLE = "body_unparseable"
    TOO_LARGE = "too_large"  # a body past the size limit, judged by digest only

    @property
    def is_mismatch(self) -> bool:
        """Whether a difference of this kind makes the pair a mismatch."""
        return self is not Kind.NUMERIC_TOLERANCE


@dataclass(frozen=True, slots=True)
class Observation:
    """One backend's answer to one request, as the comparator needs it.

    `headers` names are lower-case. `body` is the raw response body; when the
    body was too large to carry, `body` is empty and `body_digest` (hex SHA-256
    of the original bytes) stands for it. `error` is set when the backend gave no
    HTTP answer at all (timeout, connection refused), and `status` is then None.
    """

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    error: str | None = None
    body_digest: str | None = None


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference, located by `path`.

    `path` is an RFC 6901 JSON Pointer into the body (`""` is the whole body),
    or `status`, `content_type`, or `header:<name>`. `primary` and `candidate`
    are JSON-compatible values; a side where the value is absent holds None and
    the kind (field_missing / field_added) says so. `redact` is set when a
    `redact` rule covers the path or a node inside the values: they were
    compared, but whatever stores or publishes the difference keeps a keyed
    hash of them instead.
    """

    path: str
    kind: Kind
    primary: Any = None
    candidate: Any = None
    redact: bool = False


@dataclass(frozen=True, slots=True)
class Comparison:
    """The judgement on one pair of observations.

    `signature` is a short stable hash naming the *problem* (endpoint plus the set
    of folded path templates and kinds); None for a match. `summary` is its
    human-readable form. `rules_version` names the rule set that judged the pair.
    """

    verdict: Verdict
    differences: tuple[Difference, ...]
    rules_version: str
    signature: str | None = None
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """A judged request: the comparison plus the request facts it is queried by.

    `observed_at` is event time (the primary's `started_at`, or the only side's),
    never the clock of the process that judged it. Statuses and latencies are None
    for a side that is missing or errored.
    """

    request_id: str
    endpoint: str
    method: str
    observed_at: datetime
    primary_status: int | None
    candidate_status: int | None
    primary_latency_ms: float | None
    candidate_latency_ms: float | None
    comparison: Comparison
    secondary_paths: tuple[str, ...] | None = None
    """Where a secondary (a second instance of the primary's backend) differed from
    the primary on this request: the folded paths (`comparator.baseline`) of its
    mismatching differences, sorted. None when no secondary was seen."""
