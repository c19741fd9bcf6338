"""The distinct problems (signatures) of a run over a window, most frequent first.

Counts in a window come from the signature rollups (whole hours, and minutes at
the edges: `storage.queries.signature_counts`), so a day's problems cost the
same to list at any volume; without a window, from the signatures' all-time
counts. Summary, first and last seen (all time, exact) and example request ids
come from `signatures`; the status from the triage marks (`storage.triage`):
`new`, `expected`, `fixed`, or `regressed`; whether it is noise by the
endpoint's secondary baseline over the same window (`storage.secondary_report`,
Diffy's rule in `analysis.baseline`), None where the endpoint had no secondary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, select

from analysis.baseline import BaselineThresholds
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import LIVE_RUN, signatures
from storage.noise_filter import NoiseFilter, Thresholds, keeps, rule_of, stored_noise
from storage.queries import (
    ComparisonDetail,
    Pruned,
    comparison_detail,
    pruned_before,
    signature_counts,
    signature_row,
    whole_minutes,
)
from storage.secondary_report import read_baselines
from storage.triage import current_marks, shown_status


@dataclass(frozen=True, slots=True)
class SignatureCount:
    """One problem: how often it was seen in the window, and what it is."""

    signature: str
    endpoint: str
    summary: str
    count: int
    first_seen: datetime
    last_seen: datetime
    status: str
    examples: tuple[str, ...]
    paths: tuple[tuple[str, str], ...]
    noise: bool | None = None
    """Within the secondary's baseline at every path (None: no secondary on the endpoint)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "endpoint": self.endpoint,
            "summary": self.summary,
            "count": self.count,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "status": self.status,
            "examples": list(self.examples),
            "paths": [{"path": path, "kind": kind} for path, kind in self.paths],
            "noise": self.noise,
        }


@dataclass(frozen=True, slots=True)
class SignatureReport:
    run_id: str
    since: datetime | None
    until: datetime | None
    signatures: tuple[SignatureCount, ...]
    pruned: Pruned
    secondary: bool = False
    """Whether any endpoint had requests judged with a secondary in the window."""
    noise: NoiseFilter = "include"

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "signatures": [s.to_json() for s in self.signatures],
            "noise": self.noise,
            "secondary": self.secondary,
            "pruned": self.pruned.to_json(),
        }


def signature_report(
    engine: Engine,
    *,
    endpoint: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    run_id: str = LIVE_RUN,
    limit: int | None = None,
    signature: str | None = None,
    noise: NoiseFilter = "include",
    thresholds: Thresholds | None = None,
) -> SignatureReport:
    """The run's signatures seen in [since, until) (widened to whole minutes).

    `signature` narrows the report to that one problem (on every endpoint it names).
    `status` keeps those a report shows in that status (`new` is the triage
    queue; `regressed` the fixed ones seen again). `noise` keeps or leaves out
    those the secondary's baseline explains, judged with `thresholds`
    (default: Diffy's). A callable there is called only when the run has a
    secondary's baseline: reading the thresholds from the settings costs a
    command about 0.07 s (pydantic) that a run without a secondary need not pay.
    """
    since, until = whole_minutes(since, until)
    sg = signatures
    if since is None and until is None:
        counted = select(sg.c.signature, sg.c.endpoint, sg.c["count"].label("n")).where(
            sg.c.run_id == run_id, *([sg.c.endpoint == endpoint] if endpoint else [])
        )
        window = counted.subquery()
    else:
        window = signature_counts(run_id, endpoint, since, until)
    triage = current_marks()
    shown = shown_status(triage, sg.c.last_seen).label("shown_status")
    query = (
        select(window.c.n, sg, shown)
        .join(sg, signature_row(window, run_id))
        .outerjoin(
            triage, and_(triage.c.signature == sg.c.signature, triage.c.endpoint == sg.c.endpoint)
        )
        .order_by(window.c.n.desc(), sg.c.endpoint, sg.c.signature)
    )
    if status is not None:
        query = query.where(shown_status(triage, sg.c.last_seen) == status)
    if signature is not None:
        query = query.where(sg.c.signature == signature)
    if limit is not None and noise == "include":
        query = query.limit(limit)
    with guard(engine), engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
        gone = pruned_before(connection)
        baseline = read_baselines(connection, run_id, endpoint, since, until)
    # Thresholds only once a baseline is found: a callable may read the settings.
    judged_by = rule_of(thresholds) if baseline else BaselineThresholds()
    found = [
        SignatureCount(
            signature=row["signature"],
            endpoint=row["endpoint"],
            summary=row["summary"],
            count=int(row["n"]),
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
            status=row["shown_status"],
            examples=tuple(json_value(row["example_request_ids"])),
            paths=tuple((path, kind) for path, kind in json_value(row["paths"])),
            noise=stored_noise(row["paths"], baseline.get(row["endpoint"]), judged_by),
        )
        for row in rows
    ]
    if noise != "include":
        found = [s for s in found if keeps(noise, bool(s.noise))][:limit]
    return SignatureReport(
        run_id, since, until, tuple(found), Pruned.of(gone, since), bool(baseline), noise
    )


@dataclass(frozen=True, slots=True)
class SignatureDetail:
    """One problem over a window, with its example comparisons as stored.

    `examples` holds the comparisons of the signature's example request ids
    that are still stored (retention may have removed some raw rows).
    """

    signature: SignatureCount
    examples: tuple[ComparisonDetail, ...]
    pruned: Pruned

    def to_json(self) -> dict[str, Any]:
        return {
            **self.signature.to_json(),
            "example_comparisons": [e.to_json() for e in self.examples],
            "pruned": self.pruned.to_json(),
        }


def signature_detail(
    engine: Engine,
    signature: str,
    *,
    endpoint: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    run_id: str = LIVE_RUN,
) -> SignatureDetail | None:
    """`signature` of `run_id` counted over [since, until), or None if not seen there.

    A signature names one endpoint's problem; `endpoint` picks among several
    endpoints sharing the same hash (the most frequent one otherwise).
    """
    report = signature_report(
        engine, endpoint=endpoint, since=since, until=until, run_id=run_id, signature=signature
    )
    if not report.signatures:
        return None
    found = report.signatures[0]
    examples = (comparison_detail(engine, request_id, run_id) for request_id in found.examples)
    return SignatureDetail(found, tuple(e for e in examples if e is not None), report.pruned)
