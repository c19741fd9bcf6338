"""Alerts at rest, and the rollup reads the alert judge needs.

Storage knows alerts as rows with a JSON document (the judge's own rendering,
`analysis.Alert.to_json`), so it stays ignorant of how they are judged. An
alert is saved by its stable ID: judging the same minutes again, or after a
restart, finds it stored and reports no change, which is what keeps a
webhook from hearing about it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, and_, func, literal, select, update

from comparator.model import Verdict
from comparator.signature import summary_verdict
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import (
    LIVE_RUN,
    VERDICT_COLUMNS,
    AlertState,
    alerts,
    comparisons,
    endpoint_minutes,
    signature_minutes,
    signatures,
)
from storage.triage import current_marks, with_triage
from storage.writer_sql import insert


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One alert row: its key facts as columns, everything else in `document`."""

    id: str
    run_id: str
    rule: str
    endpoint: str
    state: AlertState
    window_start: datetime
    window_end: datetime
    opened_at: datetime
    resolved_at: datetime | None
    document: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**self.document, "run": self.run_id}


@dataclass(frozen=True, slots=True)
class MinuteVerdicts:
    """One endpoint's minute from the rollup: a count per verdict."""

    endpoint: str
    minute: datetime
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class KnownSignature:
    """A run's signature on an endpoint as the new-signature rule needs it."""

    endpoint: str
    signature: str
    first_seen: datetime
    count: int
    status: str
    summary: str
    examples: tuple[str, ...]


def minute_verdicts(
    engine: Engine, run_id: str, since: datetime, until: datetime
) -> list[MinuteVerdicts]:
    """Every endpoint's minutes in [since, until), ordered by endpoint and minute."""
    em = endpoint_minutes
    columns = [em.c[column] for column in VERDICT_COLUMNS.values()]
    query = (
        select(em.c.endpoint, em.c.minute, *columns)
        .where(em.c.run_id == run_id, em.c.minute >= since, em.c.minute < until)
        .order_by(em.c.endpoint, em.c.minute)
    )
    verdicts = list(VERDICT_COLUMNS)
    with guard(engine), engine.connect() as connection:
        return [
            MinuteVerdicts(
                row[0], row[1], {v: n for v, n in zip(verdicts, row[2:], strict=True) if n}
            )
            for row in connection.execute(query)
        ]


def known_signatures(engine: Engine, run_id: str) -> list[KnownSignature]:
    """The run's signatures with their all-time first sighting, count and triage status.

    The status is the current mark (`storage.triage`: `new` without one), the
    same in every run, never `regressed`: `regressions` reports those.
    """
    sg = signatures
    triage = current_marks()
    query = (
        select(sg, func.coalesce(triage.c.status, literal("new")).label("marked"))
        .select_from(sg)
        .outerjoin(
            triage,
            and_(triage.c.signature == sg.c.signature, triage.c.endpoint == sg.c.endpoint),
        )
        .where(sg.c.run_id == run_id)
    )
    with guard(engine), engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        KnownSignature(
            row["endpoint"],
            row["signature"],
            row["first_seen"],
            row["count"],
            row["marked"],
            row["summary"],
            tuple(json_value(row["example_request_ids"])),
        )
        for row in rows
    ]


def regressions(engine: Engine, run_id: str, examples: int = 3) -> list[KnownSignature]:
    """Signatures marked fixed that traffic observed after the mark has again.

    Each comes as a sighting since the fix: `first_seen` is the first minute
    with the problem from the mark's own minute on (the mark itself when that
    is its minute: the rollups tell no finer), `count` the requests since
    then, `examples` the first ones observed after the mark. Few signatures
    regress, so each is one range of `signature_minutes` and a short read of
    the raw rows for its examples.
    """
    sg, sm, c = signatures, signature_minutes, comparisons.c
    seen = select(sg.c.endpoint, sg.c.signature).where(sg.c.run_id == run_id).subquery()
    triaged = with_triage(seen, run_id)
    query = (
        select(seen.c.endpoint, seen.c.signature, sg.c.summary, triaged.marked_at)
        .select_from(triaged.joined)
        .where(triaged.status == "regressed")
    )
    found = []
    with guard(engine), engine.connect() as connection:
        for endpoint, signature, summary, marked_at in connection.execute(query).all():
            since_mark = connection.execute(
                select(func.min(sm.c.minute), func.sum(sm.c["count"])).where(
                    sm.c.run_id == run_id,
                    sm.c.endpoint == endpoint,
                    sm.c.signature == signature,
                    sm.c.minute >= marked_at.replace(second=0, microsecond=0),
                )
            ).one()
            first_minute, count = since_mark
            if first_minute is None:
                continue
            after = connection.execute(
                select(c.request_id)
                .where(
                    c.run_id == run_id,
                    c.endpoint == endpoint,
                    c.observed_at > marked_at,
                    c.signature == signature,
                )
                .order_by(c.observed_at, c.request_id)
                .limit(examples)
            )
            found.append(
                KnownSignature(
                    endpoint,
                    signature,
                    max(first_minute, marked_at),
                    int(count),
                    "fixed",
                    summary,
                    tuple(after.scalars()),
                )
            )
    return found


def expected_minutes(
    engine: Engine, run_id: str, since: datetime, until: datetime
) -> dict[tuple[str, datetime], dict[str, int]]:
    """Per (endpoint, minute) in [since, until), a count per verdict of the requests
    whose problem is marked expected (the minutes `minute_verdicts` reads).

    The verdict of a problem is the one its signature names
    (`comparator.signature.summary_verdict`); a signature whose summary names
    none is taken for a mismatch, the only problem with paths to mark.
    """
    sm = signature_minutes
    seen = (
        select(sm.c.endpoint, sm.c.signature, sm.c.minute, sm.c["count"])
        .where(sm.c.run_id == run_id, sm.c.minute >= since, sm.c.minute < until)
        .subquery()
    )
    triaged = with_triage(seen, run_id)
    query = (
        select(seen.c.endpoint, seen.c.minute, signatures.c.summary, func.sum(seen.c["count"]))
        .select_from(triaged.joined)
        .where(triaged.status == "expected")
        .group_by(seen.c.endpoint, seen.c.minute, signatures.c.summary)
    )
    found: dict[tuple[str, datetime], dict[str, int]] = {}
    with guard(engine), engine.connect() as connection:
        for endpoint, minute, summary, count in connection.execute(query):
            verdict = summary_verdict(endpoint, summary) or Verdict.MISMATCH
            counts = found.setdefault((endpoint, minute), {})
            counts[verdict.value] = counts.get(verdict.value, 0) + int(count)
    return found


def save_alerts(
    engine: Engine, run_id: str, found: Sequence[StoredAlert], now: datetime
) -> list[StoredAlert]:
    """Store what the judge found; return the alerts that are new or changed state.

    An alert already stored in the same state is left as it is (its first
    document kept), so saving the same judgement twice changes nothing.
    """
    if not found:
        return []
    a = alerts
    ids = [alert.id for alert in found]
    changed = []
    with guard(engine), engine.begin() as connection:
        stored = {
            alert_id: state
            for alert_id, state in connection.execute(
                select(a.c.id, a.c.state).where(a.c.id.in_(ids))
            )
        }
        for alert in found:
            if alert.id not in stored:
                connection.execute(
                    insert(connection, a).on_conflict_do_nothing(),
                    [_row(alert, run_id, now)],
                )
                changed.append(replace(alert, run_id=run_id))
            elif stored[alert.id] != alert.state:
                connection.execute(
                    update(a)
                    .where(a.c.id == alert.id)
                    .values(
                        state=alert.state,
                        resolved_at=alert.resolved_at,
                        document=orjson.dumps(alert.document).decode(),
                        updated_at=now,
                    )
                )
                changed.append(replace(alert, run_id=run_id))
    return changed


def _row(alert: StoredAlert, run_id: str, now: datetime) -> dict[str, Any]:
    return {
        "id": alert.id,
        "run_id": run_id,
        "rule": alert.rule,
        "endpoint": alert.endpoint,
        "state": alert.state,
        "window_start": alert.window_start,
        "window_end": alert.window_end,
        "opened_at": alert.opened_at,
        "resolved_at": alert.resolved_at,
        "document": orjson.dumps(alert.document).decode(),
        "stored_at": now,
        "updated_at": now,
    }


def list_alerts(
    engine: Engine,
    *,
    run_id: str = LIVE_RUN,
    since: datetime | None = None,
    until: datetime | None = None,
    state: str | None = None,
    endpoint: str | None = None,
) -> list[StoredAlert]:
    """The run's alerts opened in [since, until) (event time), newest first."""
    a = alerts
    conditions = [a.c.run_id == run_id]
    if since is not None:
        conditions.append(a.c.opened_at >= since)
    if until is not None:
        conditions.append(a.c.opened_at < until)
    if state is not None:
        conditions.append(a.c.state == state)
    if endpoint is not None:
        conditions.append(a.c.endpoint == endpoint)
    query = select(a).where(*conditions).order_by(a.c.opened_at.desc(), a.c.id)
    with guard(engine), engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        StoredAlert(
            row["id"],
            row["run_id"],
            row["rule"],
            row["endpoint"],
            row["state"],
            row["window_start"],
            row["window_end"],
            row["opened_at"],
            row["resolved_at"],
            json_value(row["document"]),
        )
        for row in rows
    ]


def requests_before(engine: Engine, run_id: str, before: datetime) -> dict[str, int]:
    """Per endpoint, the requests stored before `before` (the new-signature rule's history)."""
    em = endpoint_minutes
    query = (
        select(em.c.endpoint, func.sum(em.c.total))
        .where(em.c.run_id == run_id, em.c.minute < before)
        .group_by(em.c.endpoint)
    )
    with guard(engine), engine.connect() as connection:
        return {name: int(total) for name, total in connection.execute(query)}
