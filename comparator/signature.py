"""Signatures: the name of a *problem*, shared by every request that has it.

A signature hashes the endpoint, the verdict and the sorted set of (path
template, kind) of the mismatching differences, array indices folded to `[*]`.
Values are left out on purpose: a million requests whose `/items/[*]/price`
changed, each to its own number, are one problem. Differences that are not
mismatches (numeric_tolerance) are left out too, so tolerated noise does not
split one problem into many.
"""

from __future__ import annotations

import hashlib

from comparator.model import Comparison, Verdict
from comparator.rules import RuleSet
from comparator.walk import Found

SUMMARY_ITEMS = 5
"""How many (kind, path) items a summary spells out before `(+N more)`."""


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def signature(endpoint: str, verdict: Verdict, found: Found) -> tuple[str, str]:
    """(short stable hash, readable summary) of a non-matching comparison."""
    items = sorted({(tpl, d.kind.value) for d, tpl in found if d.kind.is_mismatch})
    text = "\n".join([endpoint, verdict.value, *(f"{tpl}\t{kind}" for tpl, kind in items)])
    shown = [f"{kind} {tpl or '(body)'}" for tpl, kind in items[:SUMMARY_ITEMS]]
    if len(items) > SUMMARY_ITEMS:
        shown.append(f"(+{len(items) - SUMMARY_ITEMS} more)")
    summary = f"{endpoint or '(no endpoint)'} {verdict.value}"
    if shown:
        summary += ": " + ", ".join(shown)
    return _digest(text), summary


def orphan(verdict: Verdict, rules: RuleSet, endpoint: str) -> Comparison:
    """The comparison for a request only one side answered (decided by the join).

    No differences; the signature names the endpoint and which side is missing,
    so the orphans of one endpoint group together.
    """
    if not verdict.is_orphan:
        raise ValueError(f"orphan() takes missing_primary or missing_candidate, not {verdict}")
    sig, summary = signature(endpoint, verdict, [])
    return Comparison(verdict, (), rules.version, sig, summary)
