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
from typing import TYPE_CHECKING

from comparator.model import Comparison, Kind, Verdict

if TYPE_CHECKING:  # annotations only: readers of stored summaries need neither
    from comparator.rules import RuleSet
    from comparator.walk import Found

SUMMARY_ITEMS = 5
"""How many (kind, path) items a summary spells out before `(+N more)`."""


# Enum `.value` is a Python-level descriptor in 3.11; the hot path reads plain strings.
_KIND_TEXT = {kind: kind.value for kind in Kind}
_VERDICT_TEXT = {verdict: verdict.value for verdict in Verdict}


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# Mismatches collapse into few problems, so the same signature is asked for
# again and again; remembering it skips the hashing and the summary text.
_CACHE_LIMIT = 4096
_cache: dict[tuple[str, Verdict, frozenset[tuple[str, Kind]]], tuple[str, str]] = {}


def signature(endpoint: str, verdict: Verdict, found: Found) -> tuple[str, str]:
    """(short stable hash, readable summary) of a non-matching comparison."""
    tolerated = Kind.NUMERIC_TOLERANCE
    problem = frozenset([(tpl, d.kind) for d, tpl in found if d.kind is not tolerated])
    key = (endpoint, verdict, problem)
    known = _cache.get(key)
    if known is None:
        known = _signature(endpoint, verdict, problem)
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = known
    return known


def _signature(
    endpoint: str, verdict: Verdict, problem: frozenset[tuple[str, Kind]]
) -> tuple[str, str]:
    names = _KIND_TEXT
    items = sorted((tpl, names[kind]) for tpl, kind in problem)
    verdict_text = _VERDICT_TEXT[verdict]
    text = "\n".join([endpoint, verdict_text, *[tpl + "\t" + kind for tpl, kind in items]])
    shown = [f"{kind} {tpl or '(body)'}" for tpl, kind in items[:SUMMARY_ITEMS]]
    if len(items) > SUMMARY_ITEMS:
        shown.append(f"(+{len(items) - SUMMARY_ITEMS} more)")
    summary = f"{endpoint or '(no endpoint)'} {verdict_text}"
    if shown:
        summary += ": " + ", ".join(shown)
    return _digest(text), summary


def summary_verdict(endpoint: str, summary: str) -> Verdict | None:
    """The verdict a summary made by `signature` for `endpoint` names (None: not one of ours).

    Each signature has exactly one verdict (it is part of the hash), and its
    summary spells it right after the endpoint; readers of the stored
    signatures that must tell a mismatch from an error or an orphan read it here.
    """
    head = f"{endpoint or '(no endpoint)'} "
    if not summary.startswith(head):
        return None
    word = summary[len(head) :].split(":", 1)[0]
    return _VERDICT_OF.get(word)


_VERDICT_OF = {text: verdict for verdict, text in _VERDICT_TEXT.items()}


def orphan(verdict: Verdict, rules: RuleSet, endpoint: str) -> Comparison:
    """The comparison for a request only one side answered (decided by the join).

    No differences; the signature names the endpoint and which side is missing,
    so the orphans of one endpoint group together.
    """
    if not verdict.is_orphan:
        raise ValueError(f"orphan() takes missing_primary or missing_candidate, not {verdict}")
    sig, summary = signature(endpoint, verdict, [])
    return Comparison(verdict, (), rules.version, sig, summary)
