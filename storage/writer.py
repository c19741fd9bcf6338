"""The batch writer: judged results into the store, idempotently.

Delivery upstream is at-least-once, so the same `Result` may arrive twice (a
replayed Kafka batch, a restarted worker). The key (run_id, request_id,
observed_at) makes a replay harmless (a replay re-derives the same event
time): `INSERT ... ON CONFLICT DO NOTHING ... RETURNING` tells which
comparisons are new, and only those get difference rows and count towards
signatures and the minute rollups (`storage.rollups`). A batch is one
transaction, so a crash leaves all of it or none. On PostgreSQL the writer
first makes sure the batch's days have partitions (`storage.partitions`).

Two paths do the writing with the same contract: `storage.pg_copy` on
PostgreSQL (binary COPY into staging, then one set-based statement) and
`storage.bulk` everywhere else (SQLAlchemy Core statements).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from comparator.model import Result
from storage import bulk, pg_copy, secondary
from storage.engine import guard
from storage.models import LIVE_RUN, RunKind, runs
from storage.partitions import Partitions
from storage.redaction import Redactor
from storage.rows import encode_value, first_per_request
from storage.writer_sql import insert

__all__ = ["LIVE_RUN", "Clock", "ResultWriter", "encode_value", "ensure_run", "insert"]

Clock = Callable[[], datetime]
"""Where the writer reads `stored_at` and run creation times (tests pass a fixed one)."""


def _now() -> datetime:
    return datetime.now(UTC)


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
        redaction_key: bytes | str | None = None,
        examples_per_signature: int = 3,
        clock: Clock = _now,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self._redactor = Redactor(redaction_key)
        self._examples = examples_per_signature
        self._clock = clock
        self._partitions = Partitions(engine)
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
        """Store `results` in one transaction; return how many were new (see `write_new`)."""
        return len(self.write_new(results))

    def inserted_ids(self, results: Sequence[Result]) -> frozenset[str]:
        """`write_new`, answering with the request ids that were new (for counting by label)."""
        return frozenset(result.request_id for result in self.write_new(results))

    def write_new(self, results: Sequence[Result]) -> list[Result]:
        """Store `results` in one transaction; return those that were new.

        A result whose (run, request_id) is already stored, or repeats an earlier
        one in the same batch, is skipped entirely. Raises `StoreUnavailable`
        when the database cannot be reached (nothing of the batch is stored).
        """
        unique = first_per_request(results)
        if not unique:
            return []
        stored_at = self._clock()
        with guard(self.engine):
            self._partitions.ensure([result.observed_at for result in unique.values()])
        try:
            return self._write(unique, stored_at, contended=False)
        except pg_copy.Contended:
            return self._write(unique, stored_at, contended=True)

    def _write(
        self, unique: dict[str, Result], stored_at: datetime, *, contended: bool
    ) -> list[Result]:
        info: dict[Any, Any] | None = None
        try:
            with guard(self.engine), self.engine.begin() as connection:
                if connection.dialect.name != "postgresql":
                    new = bulk.write_batch(
                        connection, self.run_id, stored_at, unique, self._redactor, self._examples
                    )
                else:
                    info = connection.info
                    new = pg_copy.write_batch(
                        connection,
                        self.run_id,
                        stored_at,
                        unique,
                        self._redactor,
                        self._examples,
                        contended=contended,
                    )
                secondary.add(connection, self.run_id, new)
                return new
        except BaseException:
            if info is not None:
                pg_copy.forget_staging(info)
            raise
