"""Triage of signatures: marks kept as history, and the status reports show.

A mark says what engineers decided about one problem on one endpoint: `new`
(not looked at, or reopened), `expected` (the candidate is right to differ)
or `fixed`. Marks are kept, never overwritten (`signature_marks`), and a
signature's status is its latest mark, the same in every run. A signature
marked `fixed` that traffic observed after the mark has again shows as
`regressed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Join,
    Subquery,
    and_,
    case,
    func,
    literal,
    select,
    update,
)

from storage.engine import StorageError, guard
from storage.models import SIGNATURE_STATUS_VALUES, signature_marks, signatures

MIN_PREFIX = 4
"""Characters of a signature that name it, when they name only one."""


class TriageError(StorageError):
    """A mark that cannot be made; the message says what to give instead."""


@dataclass(frozen=True, slots=True)
class Mark:
    """One triage decision about a signature on an endpoint."""

    signature: str
    endpoint: str
    status: str
    marked_at: datetime
    note: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "endpoint": self.endpoint,
            "status": self.status,
            "marked_at": self.marked_at.isoformat(),
            "note": self.note,
        }


def current_marks() -> Subquery:
    """Each (signature, endpoint)'s latest mark: signature, endpoint, status, marked_at."""
    m = signature_marks
    latest = select(func.max(m.c.id).label("id")).group_by(m.c.signature, m.c.endpoint).subquery()
    return (
        select(m.c.signature, m.c.endpoint, m.c.status, m.c.marked_at)
        .join(latest, m.c.id == latest.c.id)
        .subquery("triage")
    )


def shown_status(triage: Subquery, last_seen: ColumnElement[Any]) -> ColumnElement[str]:
    """The status a report shows, for a signature last seen at `last_seen` (SQL).

    `triage` is `current_marks()`, outer-joined: no mark reads as `new`.
    """
    return case(
        (
            and_(triage.c.status == "fixed", last_seen > triage.c.marked_at),
            literal("regressed"),
        ),
        else_=func.coalesce(triage.c.status, literal("new")),
    )


@dataclass(frozen=True, slots=True)
class Triaged:
    """Rows joined with their signatures and current marks (`with_triage`)."""

    joined: Join
    status: ColumnElement[str]
    """The status a report shows (`shown_status`)."""
    marked_at: ColumnElement[datetime]
    """When the current mark was made (NULL without one)."""


def with_triage(seen: Subquery, run_id: str) -> Triaged:
    """`seen` (any rows with `endpoint` and `signature`) joined with the run's
    `signatures` and their current marks.

    The one way a rollup read learns which problems are expected, open or
    fixed: readiness and the alert judge both count through it.
    """
    sg = signatures
    triage = current_marks()
    joined = seen.join(
        sg,
        and_(
            sg.c.run_id == run_id,
            sg.c.signature == seen.c.signature,
            sg.c.endpoint == seen.c.endpoint,
        ),
    ).outerjoin(
        triage,
        and_(triage.c.signature == sg.c.signature, triage.c.endpoint == sg.c.endpoint),
    )
    return Triaged(joined, shown_status(triage, sg.c.last_seen), triage.c.marked_at)


def mark(
    engine: Engine,
    signature: str,
    status: str,
    *,
    now: datetime,
    endpoint: str | None = None,
    note: str | None = None,
) -> tuple[Mark, ...]:
    """Mark `signature` (or a unique prefix of it) `status` on `endpoint` (default: every
    endpoint it was seen on); return the marks made.

    Raises `TriageError` for an unknown status, a signature the store never saw
    (on that endpoint), or a prefix that names several.
    """
    if status not in SIGNATURE_STATUS_VALUES:
        raise TriageError(
            f"unknown status {status!r}: use one of {', '.join(SIGNATURE_STATUS_VALUES)}"
        )
    sg = signatures
    if len(signature) >= MIN_PREFIX:
        named = sg.c.signature.startswith(signature, autoescape=True)
    else:
        named = sg.c.signature == signature
    query = select(sg.c.signature, sg.c.endpoint).where(named).distinct()
    if endpoint is not None:
        query = query.where(sg.c.endpoint == endpoint)
    with guard(engine), engine.begin() as connection:
        found = sorted(tuple(row) for row in connection.execute(query))
        exact = [(s, e) for s, e in found if s == signature]
        found = exact or found
        names = sorted({s for s, _ in found})
        if not found:
            where = f" on endpoint {endpoint!r}" if endpoint else ""
            raise TriageError(
                f"no signature {signature!r}{where}: `shadowdiff signatures` lists them "
                f"(give the whole signature, or at least {MIN_PREFIX} characters of it)"
            )
        if len(names) > 1:
            raise TriageError(
                f"{signature!r} names {len(names)} signatures ({', '.join(names[:5])}"
                f"{', ...' if len(names) > 5 else ''}): give more of it"
            )
        made = tuple(Mark(s, e, status, now, note) for s, e in found)
        connection.execute(
            signature_marks.insert(),
            [
                {
                    "signature": m.signature,
                    "endpoint": m.endpoint,
                    "status": m.status,
                    "marked_at": m.marked_at,
                    "note": m.note,
                }
                for m in made
            ],
        )
        for m in made:
            connection.execute(
                update(sg)
                .where(sg.c.signature == m.signature, sg.c.endpoint == m.endpoint)
                .values(status=m.status)
            )
    return made


def history(
    engine: Engine, *, signature: str | None = None, endpoint: str | None = None
) -> tuple[Mark, ...]:
    """Marks, oldest first; of one signature (or its prefix) and endpoint when given."""
    m = signature_marks
    query = select(m.c.signature, m.c.endpoint, m.c.status, m.c.marked_at, m.c.note).order_by(
        m.c.id
    )
    if signature is not None:
        query = query.where(m.c.signature.startswith(signature, autoescape=True))
    if endpoint is not None:
        query = query.where(m.c.endpoint == endpoint)
    with guard(engine), engine.connect() as connection:
        return tuple(Mark(*row) for row in connection.execute(query))
