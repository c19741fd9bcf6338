"""Turn what the join emits (pairs and orphans) into stored `Result`s.

The one place where the stream meets the comparator; the Faust agent and the
one-process pipeline both call it, so they judge identically.
"""

from __future__ import annotations

from comparator import Result, RuleSet, compare, orphan
from comparator.baseline import differing_paths
from streams.join import Expired, Orphan, Pair


def judge_pair(pair: Pair, rules: RuleSet) -> Result:
    """The candidate judged against the primary; with a secondary, the primary judged
    against it too, by the same comparator and rules (`Result.secondary_paths`)."""
    primary, candidate = pair.primary, pair.candidate
    observed = primary.observation()
    comparison = compare(observed, candidate.observation(), rules, endpoint=primary.endpoint)
    secondary_paths = None
    if pair.secondary is not None:
        baseline = compare(observed, pair.secondary.observation(), rules, endpoint=primary.endpoint)
        secondary_paths = tuple(sorted(differing_paths(baseline)))
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
        secondary_paths=secondary_paths,
    )


def judge_expired(expired: Expired, rules: RuleSet) -> Result:
    """What expiry emitted, judged: an orphan, or a pair whose secondary never came."""
    if isinstance(expired, Pair):
        return judge_pair(expired, rules)
    return judge_orphan(expired, rules)


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
