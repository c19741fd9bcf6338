"""New signatures: alerted once the endpoint has history, and again when a fixed one returns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from analysis import NewSignatureRule, Sighting, SignatureStatus, judge_signatures

T = datetime(2026, 3, 2, 9, 30, 12, tzinfo=UTC)
RULE = NewSignatureRule(min_history_requests=1000)
SIGHTINGS = [
    Sighting("sig-new", T, 4, "value_changed at /name", ("r1", "r2")),
    Sighting("sig-known", T, 9, "field_added at /etag"),
    Sighting("sig-expected", T, 2, "array_order at /tags"),
    Sighting("sig-fixed", T + timedelta(minutes=1), 1, "status"),
]
KNOWN: Mapping[str, SignatureStatus] = {
    "sig-known": "new",
    "sig-expected": "expected",
    "sig-fixed": "fixed",
}


def test_a_new_signature_and_a_fixed_one_seen_again_alert() -> None:
    alerts = judge_signatures("GET /a", SIGHTINGS, KNOWN, history_requests=5000, rule=RULE)
    assert [(a.signature, a.state, a.summary) for a in alerts] == [
        ("sig-new", "firing", "value_changed at /name"),
        ("sig-fixed", "firing", "fixed, seen again: status"),
    ]
    first = alerts[0]
    assert first.rule == "new_signature" and first.examples == ("r1", "r2")
    assert first.window_start == T.replace(second=0) and first.opened_at == T
    # Judged again (a restart, the next evaluation): the same IDs.
    again = judge_signatures("GET /a", SIGHTINGS, KNOWN, history_requests=6000, rule=RULE)
    assert [a.id for a in again] == [a.id for a in alerts]
    assert len({a.id for a in alerts}) == 2


def test_a_young_endpoint_has_only_new_signatures_and_raises_none() -> None:
    assert judge_signatures("GET /a", SIGHTINGS, {}, history_requests=999, rule=RULE) == ()


def test_a_signature_below_its_count_or_with_the_rule_off_raises_none() -> None:
    strict = NewSignatureRule(min_history_requests=1, min_count=5)
    assert judge_signatures("GET /a", SIGHTINGS[:1], {}, history_requests=10, rule=strict) == ()
    off = NewSignatureRule(enabled=False)
    assert judge_signatures("GET /a", SIGHTINGS, {}, history_requests=10**6, rule=off) == ()


def test_ids_differ_by_endpoint_and_signature() -> None:
    one = judge_signatures("GET /a", SIGHTINGS[:1], {}, history_requests=5000, rule=RULE)
    two = judge_signatures("GET /b", SIGHTINGS[:1], {}, history_requests=5000, rule=RULE)
    assert one[0].id != two[0].id
