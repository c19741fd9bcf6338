"""Results as table rows: plain tuples in column order, built once per batch.

Both write paths start here. The PostgreSQL path streams these tuples straight
into binary COPY (so they follow the tables' column order); the generic path
zips them with the column names. Tuples
(not dicts) because this runs for every result and every difference, and the
per-row cost in Python is what bounds the writer's throughput.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from comparator.model import Kind, Result
from storage.jsontext import json_text
from storage.redaction import Redactor

COMPARISON_COLUMNS: tuple[str, ...] = (
    "run_id",
    "request_id",
    "endpoint",
    "method",
    "observed_at",
    "verdict",
    "primary_status",
    "candidate_status",
    "primary_latency_ms",
    "candidate_latency_ms",
    "signature",
    "rules_version",
    "stored_at",
)
"""The `comparisons` columns, in the order `comparison_row` yields them."""

DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "run_id",
    "request_id",
    "observed_at",
    "seq",
    "path",
    "kind",
    "primary_value",
    "candidate_value",
)
"""The `differences` columns, in the order `difference_rows` yields them."""

ComparisonRow = tuple[Any, ...]
DifferenceRow = tuple[str, str, datetime, int, str, str, str | None, str | None]


def encode_value(value: Any) -> str | None:
    """A difference value as JSON text; None (no value on that side) stays NULL."""
    if value is None:
        return None
    return json_text(value).decode()


def first_per_request(results: Iterable[Result]) -> dict[str, Result]:
    """The results keyed by request id, the first of any repeats kept (in order).

    Refuses a naive `observed_at` before anything touches the database, so a bad
    batch fails whole and early rather than half-way through a COPY.
    """
    unique: dict[str, Result] = {}
    for result in results:
        if result.request_id in unique:
            continue
        if result.observed_at.tzinfo is None:
            raise ValueError(
                f"request {result.request_id!r}: observed_at must be timezone-aware (UTC)"
            )
        unique[result.request_id] = result
    return unique


SIDES_APART = timedelta(hours=1)
"""How far apart a request's sides may have started for a replay to be recognised.

A result's event time is its primary's `started_at`, or, when only the
candidate was seen (`missing_primary`), the candidate's. A replay can see
other sides than the first time (a restart re-reads just the candidate of a
pair already stored, say), so one request can come back under the other event
time, and the key (run, request, event time) alone would let it in twice. So
before writing, each path looks up (`stored_requests` terms):

- every request of the batch among the stored `missing_primary` rows (a small
  partial index), and
- the batch's own `missing_primary` requests among all stored rows,

within this distance of the batch's event times, and skips what it finds.
Gateways start both sides within milliseconds; sides started further apart than
this could be stored twice after a crash.
"""

ONLY_CANDIDATE = "missing_primary"


def search_window(unique: Mapping[str, Result]) -> tuple[datetime, datetime]:
    """[from, until) of event times in which the batch's requests may be stored already."""
    times = [result.observed_at for result in unique.values()]
    return min(times) - SIDES_APART, max(times) + SIDES_APART


def only_candidate(unique: Mapping[str, Result]) -> list[str]:
    """The batch's requests judged from the candidate alone (keyed by its time)."""
    return [
        request_id
        for request_id, result in unique.items()
        if result.comparison.verdict.value == ONLY_CANDIDATE
    ]


def comparison_row(result: Result, run_id: str, stored_at: datetime) -> ComparisonRow:
    """One result's `comparisons` row, in `COMPARISON_COLUMNS` order."""
    comparison = result.comparison
    return (
        run_id,
        result.request_id,
        result.endpoint,
        result.method,
        result.observed_at,
        comparison.verdict.value,
        result.primary_status,
        result.candidate_status,
        result.primary_latency_ms,
        result.candidate_latency_ms,
        comparison.signature,
        comparison.rules_version,
        stored_at,
    )


def difference_rows(
    results: Iterable[Result], run_id: str, redactor: Redactor
) -> Iterator[DifferenceRow]:
    """The `differences` rows of `results`, in `DIFFERENCE_COLUMNS` order, secrets redacted."""
    for result in results:
        request_id, observed_at = result.request_id, result.observed_at
        for seq, difference in enumerate(result.comparison.differences):
            primary, candidate = redactor.values(difference)
            yield (
                run_id,
                request_id,
                observed_at,
                seq,
                difference.path,
                difference.kind.value,
                encode_value(primary),
                encode_value(candidate),
            )


@dataclass(frozen=True, slots=True)
class SignatureDelta:
    """What one batch adds to one signature."""

    signature: str
    endpoint: str
    summary: str
    paths: tuple[tuple[str, str], ...]
    first_seen: datetime
    last_seen: datetime
    count: int
    examples: tuple[str, ...]


def signature_deltas(new: list[Result], examples: int) -> list[SignatureDelta]:
    """Per (signature, endpoint), in key order, what the new results add.

    Examples and summary come from the earliest results (by observed_at, then
    request id), so a batch's contribution does not depend on its order.
    """
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in new:
        signature = result.comparison.signature
        if signature is not None:
            groups.setdefault((signature, result.endpoint), []).append(result)
    deltas = []
    for (signature, endpoint), members in sorted(groups.items()):
        members.sort(key=lambda r: (r.observed_at, r.request_id))
        deltas.append(
            SignatureDelta(
                signature=signature,
                endpoint=endpoint,
                summary=next((m.comparison.summary for m in members if m.comparison.summary), ""),
                paths=problem_paths(members[0]),
                first_seen=members[0].observed_at,
                last_seen=members[-1].observed_at,
                count=len(members),
                examples=tuple(m.request_id for m in members[:examples]),
            )
        )
    return deltas


_PATHS_CACHE_LIMIT = 4096
_paths_of: dict[str, tuple[tuple[str, str], ...]] = {}


def problem_paths(result: Result) -> tuple[tuple[str, str], ...]:
    """The sorted (path template, kind) pairs a signature names, array indices folded.

    The comparator hashes the same set into the signature; it is rebuilt here
    from the stored pointers (a segment of digits is taken for an array index),
    so the store can count requests per differing path from signatures alone.
    Tolerated differences are left out, as the signature leaves them out.
    Remembered per signature: every result of one signature has the same set.
    """
    signature = result.comparison.signature
    known = _paths_of.get(signature) if signature is not None else None
    if known is not None:
        return known
    found = {
        (_template(d.path), d.kind.value)
        for d in result.comparison.differences
        if d.kind is not Kind.NUMERIC_TOLERANCE
    }
    paths = tuple(sorted(found))
    if signature is not None:
        if len(_paths_of) >= _PATHS_CACHE_LIMIT:
            _paths_of.clear()
        _paths_of[signature] = paths
    return paths


def _template(pointer: str) -> str:
    if not pointer.startswith("/"):
        return pointer  # status, content_type, header:NAME, or "" (the body)
    return "/".join(
        "[*]" if part.isascii() and part.isdigit() else part for part in pointer.split("/")
    )


def as_dicts(columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows as dicts, for SQLAlchemy's executemany."""
    return [dict(zip(columns, row, strict=True)) for row in rows]


def aware(value: datetime) -> datetime:
    """`value`, refused when naive (the store keeps aware UTC times only)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC times only")
    return value
