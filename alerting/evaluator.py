"""Judge a run's stored rollups for alerts and keep what was found.

The glue between the store and the pure judge: read the per-minute rollups of
every endpoint (enough history for each rule's baseline), judge them with
`analysis` in event time (the clock is the newest minute stored, never the
process's), store the alerts by their stable IDs, and hand back those that
are new or changed state, for the caller to publish and deliver. The worker's
leader runs this on a timer; `demo` and a reprocessing run run it once, at the
end, over what they stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Engine

from analysis import (
    Alert,
    AlertRules,
    MinuteCounts,
    RuleBook,
    Sighting,
    SignatureStatus,
    judge_endpoint,
    judge_signatures,
)
from storage.alert_store import (
    KnownSignature,
    StoredAlert,
    expected_minutes,
    known_signatures,
    list_alerts,
    minute_verdicts,
    regressions,
    requests_before,
    save_alerts,
)
from storage.models import LIVE_RUN
from storage.queries import latest_unmatched, stored_span

EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one evaluation found: every alert in the judged history, and the changes."""

    now: datetime | None
    """The event time judged up to (None: nothing stored yet)."""
    alerts: tuple[Alert, ...]
    changed: tuple[Alert, ...]
    """New, or in another state than stored: to publish and deliver."""


def lookback(rules: AlertRules) -> timedelta:
    """How much history judging an endpoint under `rules` needs."""
    spike = rules.spike
    minutes = max(
        spike.baseline_minutes + spike.window_minutes,
        rules.candidate_errors.window_minutes,
        rules.orphans.window_minutes,
    )
    longest_resolve = max(
        spike.resolve_after_minutes,
        rules.candidate_errors.resolve_after_minutes,
        rules.orphans.resolve_after_minutes,
    )
    return timedelta(minutes=minutes + longest_resolve) + timedelta(seconds=rules.grace_s)


def evaluate(
    engine: Engine,
    book: RuleBook,
    *,
    run_id: str = LIVE_RUN,
    now: datetime | None = None,
    stored_at: datetime | None = None,
) -> Evaluation:
    """Judge the run's rollups up to event time `now` (default: the newest stored)."""
    span = stored_span(engine, run_id)
    if span is None:
        return Evaluation(None, (), ())
    now = now or span[1]
    rule_sets = [book.default, *(rules for _, rules in book.endpoints)]
    since = now - max(lookback(rules) for rules in rule_sets)
    series: dict[str, list[MinuteCounts]] = defaultdict(list)
    excused = expected_minutes(engine, run_id, since, now)
    for row in minute_verdicts(engine, run_id, since, now):
        series[row.endpoint].append(
            MinuteCounts.from_verdicts(
                row.minute, row.counts, excused.get((row.endpoint, row.minute))
            )
        )
    found: list[Alert] = []
    for endpoint, minutes in series.items():
        judged = judge_endpoint(endpoint, minutes, book.for_endpoint(endpoint), now=now)
        found.extend(_with_examples(engine, run_id, alert) for alert in judged)
    found.extend(_new_signatures(engine, book, run_id, since))
    changed_ids = {
        stored.id
        for stored in save_alerts(
            engine, run_id, [_stored(alert) for alert in found], stored_at or datetime.now(UTC)
        )
    }
    return Evaluation(now, tuple(found), tuple(a for a in found if a.id in changed_ids))


def firing(engine: Engine, run_id: str = LIVE_RUN) -> list[StoredAlert]:
    """The run's alerts stored as firing (a restarted evaluator's memory)."""
    return list_alerts(engine, run_id=run_id, state="firing")


def _new_signatures(engine: Engine, book: RuleBook, run_id: str, since: datetime) -> list[Alert]:
    """Signatures first seen inside the judged history, on endpoints that had some before,
    and signatures marked fixed seen again since the mark (regressed) inside it.

    A signature marked expected raises nothing, whenever it was first seen.
    """
    by_endpoint: dict[str, list[Sighting]] = defaultdict(list)
    known: dict[str, dict[str, str]] = defaultdict(dict)
    for s in known_signatures(engine, run_id):
        if s.first_seen >= since:
            by_endpoint[s.endpoint].append(_sighting(s))
            if s.status == "expected":
                known[s.endpoint][s.signature] = s.status
        else:
            known[s.endpoint][s.signature] = s.status
    for s in regressions(engine, run_id, EXAMPLES):
        if s.first_seen >= since:
            by_endpoint[s.endpoint].append(_sighting(s))
            known[s.endpoint][s.signature] = "fixed"
    if not by_endpoint:
        return []
    history = requests_before(engine, run_id, since)
    found: list[Alert] = []
    for endpoint, sightings in by_endpoint.items():
        found.extend(
            judge_signatures(
                endpoint,
                sightings,
                cast(dict[str, SignatureStatus], known[endpoint]),
                history_requests=history.get(endpoint, 0),
                rule=book.for_endpoint(endpoint).new_signature,
            )
        )
    return found


def _sighting(s: KnownSignature) -> Sighting:
    return Sighting(s.signature, s.first_seen, s.count, s.summary, s.examples)


def _with_examples(engine: Engine, run_id: str, alert: Alert) -> Alert:
    """A rate alert with the latest non-matching requests of its window as examples."""
    if alert.examples:
        return alert
    examples = latest_unmatched(
        engine, run_id, alert.endpoint, alert.window_start, alert.window_end, EXAMPLES
    )
    return replace(alert, examples=examples)


def _stored(alert: Alert) -> StoredAlert:
    return StoredAlert(
        id=alert.id,
        run_id="",
        rule=alert.rule,
        endpoint=alert.endpoint,
        state=alert.state,
        window_start=alert.window_start,
        window_end=alert.window_end,
        opened_at=alert.opened_at,
        resolved_at=alert.resolved_at,
        document=alert.to_json(),
    )
