"""The batch writer: judged results into the store, idempotently.

Delivery upstream is at-least-once, so the same `Result` may arrive twice (a
replayed Kafka batch, a restarted worker). The key (run_id, request_id) makes a
replay harmless: `INSERT ... ON CONFLICT DO NOTHING ... RETURNING` tells which
comparisons are new, and only those get difference rows and count towards
signatures. A batch is one transaction, so a crash leaves all of it or none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, case, update

from comparator.model import Result
from storage.bulk import insert_differences, insert_new_comparisons
from storage.engine import guard
from storage.models import LIVE_RUN, RunKind, runs, signatures
from storage.redaction import DEFAULT_REDACTION_KEY, Redactor
from storage.writer_sql import insert

__all__ = ["LIVE_RUN", "Clock", "ResultWriter", "encode_value", "ensure_run", "insert"]

Clock = Callable[[], datetime]
"""Where the writer reads `stored_at` and run creation times (tests pass a fixed one)."""


def _now() -> datetime:
    return datetime.now(UTC)


def encode_value(value: Any) -> str | None:
    """A difference value as JSON text; None (no value on that side) stays NULL."""
    if value is None:
        return None
    return orjson.dumps(value, default=str).decode()


def ensure_run(
    engine: Engine,
    run_id: str,
    *,
    rules_version: str,
    kind: RunKind | None = None,
    note: str | None = None,
    source_from: datetime | None = None,
    source_until: datetime | None = None,
    clock: Clock = _now,
) -> None:
    """Create the run row unless it exists (an existing run is left as it is)."""
    row = {
        "id": run_id,
        "kind": kind or ("live" if run_id == LIVE_RUN else "reprocess"),
        "rules_version": rules_version,
        "created_at": clock(),
        "note": note,
        "source_from": source_from,
        "source_until": source_until,
    }
    with guard(engine), engine.begin() as connection:
        connection.execute(insert(connection, runs).on_conflict_do_nothing(), [row])


@dataclass(frozen=True, slots=True)
class _SignatureDelta:
    signature: str
    endpoint: str
    summary: str
    first_seen: datetime
    last_seen: datetime
    count: int
    examples: tuple[str, ...]


class ResultWriter:
    """Writes batches of `Result`s for one run.

    Construction makes sure the run row exists (so it touches the database and
    may raise `StoreUnavailable` / `SchemaMissing`). `write` is safe to call
    again with the same results: nothing is stored or counted twice.
    """

    def __init__(
        self,
        engine: Engine,
        run_id: str = LIVE_RUN,
        rules_version: str = "",
        *,
        kind: RunKind | None = None,
        note: str | None = None,
        source_from: datetime | None = None,
        source_until: datetime | None = None,
        redaction_key: bytes | str = DEFAULT_REDACTION_KEY,
        examples_per_signature: int = 3,
        clock: Clock = _now,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self._redactor = Redactor(redaction_key)
        self._examples = examples_per_signature
        self._clock = clock
        ensure_run(
            engine,
            run_id,
            rules_version=rules_version,
            kind=kind,
            note=note,
            source_from=source_from,
            source_until=source_until,
            clock=clock,
        )

    def write(self, results: Sequence[Result]) -> int:
        """Store `results` in one transaction; return how many were new.

        A result whose (run, request_id) is already stored, or repeats an earlier
        one in the same batch, is skipped entirely. Raises `StoreUnavailable`
        when the database cannot be reached (nothing of the batch is stored).
        """
        unique = _first_per_request(results)
        if not unique:
            return 0
        stored_at = self._clock()
        rows = [self._comparison_row(result, stored_at) for result in unique.values()]
        with guard(self.engine), self.engine.begin() as connection:
            inserted_ids = insert_new_comparisons(connection, rows)
            if not inserted_ids:
                return 0
            new = [unique[request_id] for request_id in unique if request_id in inserted_ids]
            difference_rows = [row for result in new for row in self._difference_rows(result)]
            insert_differences(connection, difference_rows)
            self._count_signatures(connection, _signature_deltas(new, self._examples))
        return len(inserted_ids)

    def _comparison_row(self, result: Result, stored_at: datetime) -> dict[str, Any]:
        comparison = result.comparison
        if result.observed_at.tzinfo is None:
            raise ValueError(
                f"request {result.request_id!r}: observed_at must be timezone-aware (UTC)"
            )
        return {
            "run_id": self.run_id,
            "request_id": result.request_id,
            "endpoint": result.endpoint,
            "method": result.method,
            "observed_at": result.observed_at,
            "verdict": comparison.verdict.value,
            "primary_status": result.primary_status,
            "candidate_status": result.candidate_status,
            "primary_latency_ms": result.primary_latency_ms,
            "candidate_latency_ms": result.candidate_latency_ms,
            "signature": comparison.signature,
            "rules_version": comparison.rules_version,
            "stored_at": stored_at,
        }

    def _difference_rows(self, result: Result) -> Iterable[dict[str, Any]]:
        redact = self._redactor.value
        for seq, difference in enumerate(result.comparison.differences):
            path = difference.path
            yield {
                "run_id": self.run_id,
                "request_id": result.request_id,
                "seq": seq,
                "path": path,
                "kind": difference.kind.value,
                "primary_value": encode_value(redact(path, difference.primary)),
                "candidate_value": encode_value(redact(path, difference.candidate)),
            }

    def _count_signatures(self, connection: Connection, deltas: list[_SignatureDelta]) -> None:
        """Add this batch's new rows to the signature counts, atomically per signature.

        The upsert adds to the stored count under the row lock, so concurrent
        writers never lose an increment. Keys go in sorted order so two writers
        touching the same signatures lock them in the same order (no deadlock).
        """
        if not deltas:
            return
        stmt = insert(connection, signatures)
        table = signatures
        stmt = stmt.on_conflict_do_update(
            index_elements=["signature", "endpoint"],
            set_={
                "count": table.c["count"] + stmt.excluded["count"],
                "first_seen": case(
                    (stmt.excluded.first_seen < table.c.first_seen, stmt.excluded.first_seen),
                    else_=table.c.first_seen,
                ),
                "last_seen": case(
                    (stmt.excluded.last_seen > table.c.last_seen, stmt.excluded.last_seen),
                    else_=table.c.last_seen,
                ),
                "summary": case(
                    (table.c.summary == "", stmt.excluded.summary), else_=table.c.summary
                ),
            },
        ).returning(table.c.signature, table.c.endpoint, table.c.example_request_ids)
        rows = [
            {
                "signature": d.signature,
                "endpoint": d.endpoint,
                "summary": d.summary,
                "first_seen": d.first_seen,
                "last_seen": d.last_seen,
                "count": d.count,
                "example_request_ids": orjson.dumps(list(d.examples)).decode(),
            }
            for d in deltas
        ]
        stored = connection.execute(stmt, rows).all()
        by_key = {(d.signature, d.endpoint): d for d in deltas}
        for signature, endpoint, examples_json in stored:
            # An existing signature keeps its examples; top them up while there are
            # fewer than wanted. The upsert above holds the row lock, so this is safe.
            existing: list[str] = orjson.loads(examples_json)
            if len(existing) >= self._examples:
                continue
            extra = [r for r in by_key[(signature, endpoint)].examples if r not in existing]
            merged = (existing + extra)[: self._examples]
            if merged != existing:
                connection.execute(
                    update(table)
                    .where(table.c.signature == signature, table.c.endpoint == endpoint)
                    .values(example_request_ids=orjson.dumps(merged).decode())
                )


def _first_per_request(results: Sequence[Result]) -> dict[str, Result]:
    unique: dict[str, Result] = {}
    for result in results:
        unique.setdefault(result.request_id, result)
    return unique


def _signature_deltas(new: list[Result], examples: int) -> list[_SignatureDelta]:
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in new:
        signature = result.comparison.signature
        if signature is not None:
            groups.setdefault((signature, result.endpoint), []).append(result)
    deltas = []
    for (signature, endpoint), members in sorted(groups.items()):
        members.sort(key=lambda r: (r.observed_at, r.request_id))
        deltas.append(
            _SignatureDelta(
                signature=signature,
                endpoint=endpoint,
                summary=next((m.comparison.summary for m in members if m.comparison.summary), ""),
                first_seen=members[0].observed_at,
                last_seen=members[-1].observed_at,
                count=len(members),
                examples=tuple(m.request_id for m in members[:examples]),
            )
        )
    return deltas
