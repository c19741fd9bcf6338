"""Turn what the join emits (pairs and orphans) into stored `Result`s.

The one place where the stream meets the comparator; the Faust agent and the
one-process pipeline both call it, so they judge identically.
"""

from __future__ import annotations

from comparator import Result, RuleSet, compare, orphan
from streams.join import Orphan, Pair


def judge_pair(pair: Pair, rules: RuleSet) -> Result:
    primary, candidate = pair.primary, pair.candidate
    comparison = compare(
        primary.observation(), candidate.observation(), rules, endpoint=primary.endpoint
    )
    return Result(
        request_id=primary.request_id,
        endpoint=primary.endpoint,
        method=primary.method,
        observed_at=primary.started_at,
        primary_status=primary.status,
        candidate_status=candidate.status,
        primary_latency_ms=primary.latency_ms,
        candidate_latency_ms=candidate.latency_ms,
        comparison=comparison,
    )


def judge_orphan(lonely: Orphan, rules: RuleSet) -> Result:
    present = lonely.present
    is_primary = present.side == "primary"
    return Result(
        request_id=present.request_id,
        endpoint=present.endpoint,
        method=present.method,
        observed_at=present.started_at,
        primary_status=present.status if is_primary else None,
        candidate_status=None if is_primary else present.status,
        primary_latency_ms=present.latency_ms if is_primary else None,
        candidate_latency_ms=None if is_primary else present.latency_ms,
        comparison=orphan(lonely.verdict, rules, present.endpoint),
    )
