"""New signatures: a problem never seen on an endpoint, or one marked fixed, appearing.

The caller knows what the store knows: each signature's triage status on the
endpoint (`new`, `expected`, `fixed`), how many requests the endpoint had
before the window, and the signatures seen in the window. Judging is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from analysis.alerts import Alert, alert_id
from analysis.rules import NewSignatureRule
from analysis.series import floor_minute

SignatureStatus = Literal["new", "expected", "fixed"]


@dataclass(frozen=True, slots=True)
class Sighting:
    """A signature seen on the endpoint in the window: first when, how often, examples.

    For a signature marked fixed, `first_seen` is its first sighting since the fix.
    """

    signature: str
    first_seen: datetime
    count: int
    summary: str = ""
    examples: tuple[str, ...] = ()


def judge_signatures(
    endpoint: str,
    sightings: Iterable[Sighting],
    known: Mapping[str, SignatureStatus],
    *,
    history_requests: int,
    rule: NewSignatureRule,
) -> tuple[Alert, ...]:
    """A firing alert per sighting that is new to the endpoint or was marked fixed.

    `known` holds the signatures seen on the endpoint before the window, with
    their status; `history_requests` is how many requests the endpoint had
    before it. Nothing is judged before `rule.min_history_requests`. The alert
    stays `firing`: only triage (marking the signature expected or fixed) ends it.
    """
    if not rule.enabled or history_requests < rule.min_history_requests:
        return ()
    alerts = []
    for seen in sightings:
        status = known.get(seen.signature)
        if seen.count < rule.min_count or status in ("new", "expected"):
            continue
        start = floor_minute(seen.first_seen)
        alerts.append(
            Alert(
                id=alert_id("new_signature", endpoint, start, seen.signature),
                rule="new_signature",
                endpoint=endpoint,
                state="firing",
                window_start=start,
                window_end=seen.first_seen,
                opened_at=seen.first_seen,
                resolved_at=None,
                observed=None,
                signature=seen.signature,
                summary=(
                    f"fixed, seen again: {seen.summary}" if status == "fixed" else seen.summary
                ),
                examples=seen.examples,
            )
        )
    return tuple(sorted(alerts, key=lambda a: (a.opened_at, a.signature or "")))
