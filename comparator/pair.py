"""One pair compared: the comparator's one entry point, `compare(primary, candidate, rules)`.

Order of work, cheapest first, because equal pairs are the common case:
transport errors; status; content type; the allowlisted headers; then the body:
byte-equal bodies stop there; otherwise both are parsed and, for JSON, compared
whole (with `==`, or `walk.json_equal` when a boolean could meet a number), and
only a pair that still differs is walked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from comparator.body import Body, loads, media_type, parse_body, shown
from comparator.graphql import diff_graphql, is_graphql
from comparator.model import Comparison, Difference, Kind, Observation, Verdict
from comparator.rules import EndpointRules, RuleSet
from comparator.signature import signature
from comparator.walk import Found, diff_documents, json_equal


def compare(
    primary: Observation, candidate: Observation, rules: RuleSet | None = None, endpoint: str = ""
) -> Comparison:
    """Judge a candidate's answer against the primary's, under `rules` for `endpoint`.

    The verdict is error_primary / error_candidate / error_both when a side gave
    no HTTP answer (a `status` difference then records each side's status or
    error); otherwise mismatch when any difference is of a mismatching kind, and
    match when there are none or only tolerated ones. Never raises on any body.
    """
    rules = rules if rules is not None else RuleSet.default()
    compiled = rules.for_endpoint(endpoint)
    found: Found = []
    if primary.error is not None or candidate.error is not None:
        verdict = _error_verdict(primary, candidate, found)
    else:
        if primary.status != candidate.status:
            found.append(
                (Difference("status", Kind.STATUS, primary.status, candidate.status), "status")
            )
        ct_a = primary.content_type or primary.headers.get("content-type")
        ct_b = candidate.content_type or candidate.headers.get("content-type")
        if ct_a != ct_b and media_type(ct_a) != media_type(ct_b):
            found.append(
                (Difference("content_type", Kind.CONTENT_TYPE, ct_a, ct_b), "content_type")
            )
        _headers(primary.headers, candidate.headers, compiled, found)
        _bodies(primary, candidate, ct_a, ct_b, compiled, found)
        if compiled.redacting:
            _mark_redacted(found, compiled)
        tolerated = Kind.NUMERIC_TOLERANCE
        mismatch = any(d.kind is not tolerated for d, _ in found)
        verdict = Verdict.MISMATCH if mismatch else Verdict.MATCH
    differences = tuple(d for d, _ in found)
    if verdict is Verdict.MATCH:
        return Comparison(verdict, differences, rules.version)
    sig, summary = signature(endpoint, verdict, found)
    return Comparison(verdict, differences, rules.version, sig, summary)


def _error_verdict(primary: Observation, candidate: Observation, found: Found) -> Verdict:
    a = f"error: {primary.error}" if primary.error is not None else primary.status
    b = f"error: {candidate.error}" if candidate.error is not None else candidate.status
    if a != b:
        found.append((Difference("status", Kind.STATUS, a, b), "status"))
    if primary.error is not None and candidate.error is not None:
        return Verdict.ERROR_BOTH
    return Verdict.ERROR_PRIMARY if primary.error is not None else Verdict.ERROR_CANDIDATE


def _headers(
    a: Mapping[str, str], b: Mapping[str, str], rules: EndpointRules, found: Found
) -> None:
    if a == b:
        return
    for name in rules.headers:
        va, vb = a.get(name), b.get(name)
        if va != vb and (va is None or vb is None or va.strip() != vb.strip()):
            path = f"header:{name}"
            found.append((Difference(path, Kind.HEADER, va, vb), path))


def _mark_redacted(found: Found, rules: EndpointRules) -> None:
    for i, (d, template) in enumerate(found):
        in_body = d.path == "" or d.path.startswith("/")
        if in_body and rules.redacts(d.path, template, (d.primary, d.candidate)):
            found[i] = (replace(d, redact=True), template)


def _side_digest(obs: Observation) -> str | None:
    """The digest standing for a body too large to carry, or None when the body is here."""
    if obs.body or not obs.body_digest:
        return None
    return obs.body_digest.lower().removeprefix("sha256:")


def _bodies(
    primary: Observation,
    candidate: Observation,
    ct_a: str | None,
    ct_b: str | None,
    rules: EndpointRules,
    found: Found,
) -> None:
    pa, pb = primary.body, candidate.body
    big_a, big_b = _side_digest(primary), _side_digest(candidate)
    if big_a is not None or big_b is not None:
        dig_a = big_a if big_a is not None else hashlib.sha256(pa).hexdigest()
        dig_b = big_b if big_b is not None else hashlib.sha256(pb).hexdigest()
        if dig_a != dig_b:
            found.append((Difference("", Kind.TOO_LARGE, dig_a, dig_b), ""))
        return
    if pa == pb:
        return
    # The common case, two JSON bodies, skips the general classification.
    ok = _maybe_json(ct_a) and _maybe_json(ct_b)
    da: Any = None
    db: Any = None
    if ok:
        ok, da = loads(pa)
        if ok:
            ok, db = loads(pb)
    if ok:
        # `==` treats True as 1; only bodies holding a boolean need the stricter look.
        strict = b"true" in pa or b"false" in pa or b"true" in pb or b"false" in pb
        try:
            if json_equal(da, db) if strict else da == db:
                return
        except RecursionError:
            pass
        if is_graphql(da, db, rules.graphql):
            diff_graphql(da, db, rules, strict, found)
        else:
            diff_documents(da, db, rules, strict, found)
        return
    a = parse_body(pa, ct_a, rules.whitespace)
    b = parse_body(pb, ct_b, rules.whitespace)
    if a.form == "json" or b.form == "json":
        found.append((Difference("", Kind.BODY_UNPARSEABLE, _shown(a), _shown(b)), ""))
    elif a != b:
        found.append((Difference("", Kind.VALUE_CHANGED, _shown(a), _shown(b)), ""))


def _maybe_json(content_type: str | None) -> bool:
    if content_type is None or content_type == "application/json":
        return True
    mtype = media_type(content_type)
    return mtype is None or mtype.endswith("/json") or mtype.endswith("+json")


def _shown(body: Body) -> object:
    if body.form == "text" or body.form == "unparseable":
        return shown(str(body.value))
    if body.form == "binary":
        return str(body.value)
    if body.form == "empty":
        return None
    return body.value


__all__ = ["compare"]
