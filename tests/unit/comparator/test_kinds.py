"""Table-driven: every difference kind and every verdict, from two observations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from comparator import Kind, Observation, RuleSet, Verdict, compare, parse_rules
from tests.unit.comparator.helpers import kinds, obs

K = Kind
JSON = "application/json"


@dataclass(frozen=True)
class Case:
    name: str
    primary: Observation
    candidate: Observation
    verdict: Verdict
    found: set[tuple[str, Kind]] = field(default_factory=set)
    rules: str | None = None


def body(raw: bytes, **kw: Any) -> Observation:
    return obs(raw, **kw)


CASES = [
    Case("equal bytes", obs({"a": 1}), obs({"a": 1}), Verdict.MATCH),
    Case(
        "member order and number spelling",
        body(b'{"a":1,"b":2.50}'),
        body(b'{"b":2.5,"a":1.0}'),
        Verdict.MATCH,
    ),
    Case(
        "strings compared after unescaping",
        body(b'{"s":"\\u00e9\\/"}'),
        body('{"s":"é/"}'.encode()),
        Verdict.MATCH,
    ),
    Case(
        "integers past 64 bits exactly",
        body(b'{"n":123456789012345678901234567890}'),
        body(b'{"n":123456789012345678901234567891}'),
        Verdict.MISMATCH,
        {("/n", K.VALUE_CHANGED)},
    ),
    Case(
        "big integer equal to itself re-spelled",
        body(b'{"n":123456789012345678901234567890}'),
        body(b'{ "n" : 123456789012345678901234567890 }'),
        Verdict.MATCH,
    ),
    Case(
        "status", obs({}, status=200), obs({}, status=500), Verdict.MISMATCH, {("status", K.STATUS)}
    ),
    Case(
        "header in the allowlist",
        obs({}, headers={"location": "/a"}),
        obs({}, headers={"location": "/b"}),
        Verdict.MISMATCH,
        {("header:location", K.HEADER)},
    ),
    Case(
        "header outside the allowlist",
        obs({}, headers={"date": "Mon"}),
        obs({}, headers={"date": "Tue"}),
        Verdict.MATCH,
    ),
    Case(
        "content type",
        obs({}, content_type=JSON),
        obs({}, content_type="text/plain"),
        Verdict.MISMATCH,
        {("content_type", K.CONTENT_TYPE)},
    ),
    Case(
        "content type parameters aside",
        obs({}, content_type=JSON),
        obs({}, content_type="application/json; charset=utf-8"),
        Verdict.MATCH,
    ),
    Case(
        "value changed",
        obs({"a": "x"}),
        obs({"a": "y"}),
        Verdict.MISMATCH,
        {("/a", K.VALUE_CHANGED)},
    ),
    Case(
        "type changed", obs({"a": "1"}), obs({"a": 1}), Verdict.MISMATCH, {("/a", K.TYPE_CHANGED)}
    ),
    Case(
        "boolean is not a number",
        obs({"a": [True, 1]}),
        obs({"a": [1, True]}),
        Verdict.MISMATCH,
        {("/a", K.ARRAY_ORDER)},
    ),
    Case(
        "boolean against one",
        obs({"a": {"b": True}, "c": 0}),
        obs({"a": {"b": 1}, "c": 1}),
        Verdict.MISMATCH,
        {("/a/b", K.TYPE_CHANGED), ("/c", K.VALUE_CHANGED)},
    ),
    Case(
        "field missing",
        obs({"a": 1, "b": 2}),
        obs({"a": 1}),
        Verdict.MISMATCH,
        {("/b", K.FIELD_MISSING)},
    ),
    Case(
        "field added",
        obs({"a": 1}),
        obs({"a": 1, "b/c~": 2}),
        Verdict.MISMATCH,
        {("/b~1c~0", K.FIELD_ADDED)},
    ),
    Case(
        "array length",
        obs({"a": [1, 2]}),
        obs({"a": [1, 2, 3]}),
        Verdict.MISMATCH,
        {("/a", K.ARRAY_LENGTH), ("/a/2", K.FIELD_ADDED)},
    ),
    Case("array order", obs([1, 2, 3]), obs([3, 2, 1]), Verdict.MISMATCH, {("", K.ARRAY_ORDER)}),
    Case(
        "array order, numbers spelled otherwise",
        obs([[1], [2.0]]),
        obs([[2], [1]]),
        Verdict.MISMATCH,
        {("", K.ARRAY_ORDER)},
    ),
    Case(
        "NaN and null are no reordering",
        obs([[1], [float("nan")]]),
        obs([[None], [1]]),
        Verdict.MISMATCH,
        {("/0/0", K.TYPE_CHANGED), ("/1/0", K.VALUE_CHANGED)},
    ),
    Case(
        "numeric tolerance",
        obs({"p": 10.0}),
        obs({"p": 10.004}),
        Verdict.MATCH,
        {("/p", K.NUMERIC_TOLERANCE)},
        "default: {paths: {/p: {tolerance: 0.01}}}",
    ),
    Case(
        "numeric beyond tolerance",
        obs({"p": 10.0}),
        obs({"p": 10.5}),
        Verdict.MISMATCH,
        {("/p", K.VALUE_CHANGED)},
        "default: {paths: {/p: {tolerance: 0.01}}}",
    ),
    Case(
        "graphql error on one side",
        obs({"data": {"a": 1}}),
        obs({"data": {"a": 1}, "errors": [{"message": "m", "path": ["a"]}]}),
        Verdict.MISMATCH,
        {("/errors/0", K.GRAPHQL_ERROR)},
    ),
    Case(
        "graphql error code differs",
        obs({"errors": [{"message": "m", "extensions": {"code": "A"}}]}),
        obs({"errors": [{"message": "m", "extensions": {"code": "B"}}]}),
        Verdict.MISMATCH,
        {("/errors/0", K.GRAPHQL_ERROR)},
    ),
    Case(
        "graphql error message ignored",
        obs({"errors": [{"message": "one", "path": ["x"]}]}),
        obs({"errors": [{"message": "two", "path": ["x"]}]}),
        Verdict.MATCH,
    ),
    Case(
        "graphql error message when asked",
        obs({"errors": [{"message": "one"}]}),
        obs({"errors": [{"message": "two"}]}),
        Verdict.MISMATCH,
        {("/errors/0", K.GRAPHQL_ERROR)},
        "default: {graphql_messages: true}",
    ),
    Case(
        "graphql null data",
        obs({"data": {"a": 1}}),
        obs({"data": None}),
        Verdict.MISMATCH,
        {("/data", K.GRAPHQL_NULL_DATA)},
    ),
    Case(
        "graphql data walked",
        obs({"data": {"a": [1]}}),
        obs({"data": {"a": [2]}}),
        Verdict.MISMATCH,
        {("/data/a/0", K.VALUE_CHANGED)},
    ),
    Case(
        "graphql off compares errors as data",
        obs({"errors": [{"message": "one"}]}),
        obs({"errors": [{"message": "two"}]}),
        Verdict.MISMATCH,
        {("/errors/0/message", K.VALUE_CHANGED)},
        "default: {graphql: off}",
    ),
    Case(
        "body unparseable",
        body(b'{"a": 1}', content_type=JSON),
        body(b"<html>oops</html>", content_type=JSON),
        Verdict.MISMATCH,
        {("", K.BODY_UNPARSEABLE)},
    ),
    Case(
        "text with other whitespace",
        body(b"hello  world\n", content_type="text/plain"),
        body(b"hello world", content_type="text/plain"),
        Verdict.MATCH,
    ),
    Case(
        "text differs",
        body(b"hello", content_type="text/plain"),
        body(b"goodbye", content_type="text/plain"),
        Verdict.MISMATCH,
        {("", K.VALUE_CHANGED)},
    ),
    Case(
        "exact whitespace when asked",
        body(b"a  b", content_type="text/plain"),
        body(b"a b", content_type="text/plain"),
        Verdict.MISMATCH,
        {("", K.VALUE_CHANGED)},
        "default: {whitespace: exact}",
    ),
    Case(
        "binary by digest",
        body(b"\x89PNG\x00\x01", content_type="image/png"),
        body(b"\x89PNG\x00\x02", content_type="image/png"),
        Verdict.MISMATCH,
        {("", K.VALUE_CHANGED)},
    ),
    Case(
        "too large, digests differ",
        Observation(200, b"", body_digest="ab" * 32),
        Observation(200, b"", body_digest="cd" * 32),
        Verdict.MISMATCH,
        {("", K.TOO_LARGE)},
    ),
    Case(
        "too large against a carried body",
        Observation(200, b"", body_digest=hashlib.sha256(b"xyz").hexdigest()),
        Observation(200, b"xyz"),
        Verdict.MATCH,
    ),
    Case(
        "error on primary",
        Observation(None, error="timeout"),
        obs({}),
        Verdict.ERROR_PRIMARY,
        {("status", K.STATUS)},
    ),
    Case(
        "error on candidate",
        obs({}),
        Observation(None, error="connection refused"),
        Verdict.ERROR_CANDIDATE,
        {("status", K.STATUS)},
    ),
    Case(
        "same error on both",
        Observation(None, error="timeout"),
        Observation(None, error="timeout"),
        Verdict.ERROR_BOTH,
    ),
    Case(
        "other errors on both",
        Observation(None, error="timeout"),
        Observation(None, error="refused"),
        Verdict.ERROR_BOTH,
        {("status", K.STATUS)},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    rules = parse_rules(case.rules) if case.rules else RuleSet.default()
    result = compare(case.primary, case.candidate, rules, endpoint="GET /x")
    assert result.verdict is case.verdict
    assert kinds(result) == case.found
    assert result.rules_version == rules.version
    assert (result.signature is None) == (case.verdict is Verdict.MATCH)


def test_every_kind_has_a_case() -> None:
    covered = {kind for case in CASES for _, kind in case.found}
    assert covered == set(Kind)


def test_every_compare_verdict_has_a_case() -> None:
    covered = {case.verdict for case in CASES}
    assert covered == {v for v in Verdict if not v.is_orphan}


def test_values_are_recorded_per_side() -> None:
    result = compare(obs({"a": 1, "b": [1]}), obs({"b": [1, 2], "a": 2}))
    by_path = {d.path: (d.primary, d.candidate) for d in result.differences}
    assert by_path == {"/a": (1, 2), "/b": (1, 2), "/b/1": (None, 2)}


def test_an_error_side_records_the_error_text() -> None:
    result = compare(Observation(None, error="timeout"), obs({}, status=503))
    assert [(d.primary, d.candidate) for d in result.differences] == [("error: timeout", 503)]


def test_a_ten_thousand_deep_document_is_walked_without_recursion() -> None:
    from comparator.walk import diff_documents

    def nest(leaf: object) -> object:
        doc: object = leaf
        for _ in range(10_000):
            doc = {"a": [doc]}
        return doc

    found: list = []  # type: ignore[type-arg]
    rules = RuleSet.default().for_endpoint("")
    diff_documents(nest(1), nest(2), rules, strict=False, out=found)
    ((difference, template),) = found
    assert difference.kind is Kind.VALUE_CHANGED
    assert difference.path == "/a/0" * 10_000
    assert template == "/a/[*]" * 10_000


def test_a_ten_thousand_deep_body_does_not_crash() -> None:
    deep_a = b"[" * 10_000 + b"1" + b"]" * 10_000
    deep_b = b"[" * 10_000 + b"2" + b"]" * 10_000
    assert compare(obs(deep_a), obs(deep_a)).verdict is Verdict.MATCH
    assert compare(obs(deep_a), obs(deep_b)).verdict is Verdict.MISMATCH
