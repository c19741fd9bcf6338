"""Table-driven: every rule, applied through `compare`."""

from __future__ import annotations

from typing import Any

import pytest

from comparator import Kind, Verdict, compare, parse_rules
from tests.unit.comparator.helpers import kinds, obs

K = Kind

# (name, rules yaml, primary, candidate, expected (path, kind) set)
RULE_CASES: list[tuple[str, str, Any, Any, set[tuple[str, Kind]]]] = [
    (
        "ignore a member",
        "default: {paths: {/t: {ignore: true}}}",
        {"t": 1, "a": 1},
        {"t": 2, "a": 1},
        set(),
    ),
    (
        "ignore covers what is below",
        "default: {paths: {/m: {ignore: true}}}",
        {"m": {"x": 1}},
        {"m": {"x": 2, "y": 3}},
        set(),
    ),
    ("ignore a missing member", "default: {paths: {/t: {ignore: true}}}", {"t": 1}, {}, set()),
    (
        "ignore with **",
        "default: {paths: {/**/ts: {ignore: true}}}",
        {"a": {"b": [{"ts": 1}]}, "ts": 1},
        {"a": {"b": [{"ts": 2}]}, "ts": 2},
        set(),
    ),
    (
        "ignore with [*]",
        "default: {paths: {'/items[*]/ts': {ignore: true}}}",
        {"items": [{"ts": 1, "v": 1}]},
        {"items": [{"ts": 2, "v": 2}]},
        {("/items/0/v", K.VALUE_CHANGED)},
    ),
    (
        "[*] matches indices only",
        "default: {paths: {'/m/[*]': {ignore: true}}}",
        {"m": {"0": 1}},
        {"m": {"0": 2}},
        {("/m/0", K.VALUE_CHANGED)},
    ),
    (
        "* matches one level",
        "default: {paths: {/*/ts: {ignore: true}}}",
        {"a": {"ts": 1}, "b": {"c": {"ts": 1}}},
        {"a": {"ts": 2}, "b": {"c": {"ts": 2}}},
        {("/b/c/ts", K.VALUE_CHANGED)},
    ),
    (
        "name pattern",
        "default: {paths: {/x_*: {ignore: true}}}",
        {"x_a": 1, "y": 1},
        {"x_a": 2, "y": 2},
        {("/y", K.VALUE_CHANGED)},
    ),
    (
        "literal index",
        "default: {paths: {/l/0: {ignore: true}}}",
        {"l": [1, 1]},
        {"l": [2, 2]},
        {("/l/1", K.VALUE_CHANGED)},
    ),
    (
        "ignore_if both match",
        "default: {paths: {/id: {ignore_if: '[0-9a-f]{8}'}}}",
        {"id": "deadbeef"},
        {"id": "0badf00d"},
        set(),
    ),
    (
        "ignore_if one does not match",
        "default: {paths: {/id: {ignore_if: '[0-9a-f]{8}'}}}",
        {"id": "deadbeef"},
        {"id": "nothex!!"},
        {("/id", K.VALUE_CHANGED)},
    ),
    (
        "ignore_if on numbers",
        "default: {paths: {/n: {ignore_if: '\\d+'}}}",
        {"n": 1},
        {"n": 2},
        set(),
    ),
    ("ordered arrays by default", "", {"a": [1, 2]}, {"a": [2, 1]}, {("/a", K.ARRAY_ORDER)}),
    (
        "unordered arrays",
        "default: {paths: {/a: {array: unordered}}}",
        {"a": [1, 2, {"x": 1}]},
        {"a": [{"x": 1}, 2, 1]},
        set(),
    ),
    (
        "unordered arrays differing",
        "default: {paths: {/a: {array: unordered}}}",
        {"a": [1, 2, 2]},
        {"a": [2, 1, 3]},
        {("/a/2", K.VALUE_CHANGED)},
    ),
    (
        "unordered arrays of other length",
        "default: {paths: {/a: {array: unordered}}}",
        {"a": [1, 2]},
        {"a": [2]},
        {("/a", K.ARRAY_LENGTH), ("/a/0", K.FIELD_MISSING)},
    ),
    (
        # One encoder writes 1.0 where the other writes 1: the same numbers.
        "unordered arrays, numbers spelled otherwise",
        "default: {paths: {/a: {array: unordered}}}",
        {"a": [{"p": 1.0}, {"p": 2.0}, [3.0]]},
        {"a": [[3], {"p": 2}, {"p": 1}]},
        set(),
    ),
    (
        "unordered arrays keep NaN apart from null",
        "default: {paths: {/a: {array: unordered}}}",
        {"a": [[float("nan")], [1]]},
        {"a": [[1], [None]]},
        {("/a/0/0", K.TYPE_CHANGED)},
    ),
    (
        "unordered arrays keep booleans apart from numbers",
        "default: {paths: {/a: {array: unordered}}}",
        {"a": [[True], [1]]},
        {"a": [[1], [1]]},
        {("/a/0/0", K.TYPE_CHANGED)},
    ),
    (
        "unordered pairs changed elements",
        "default: {paths: {/a: {array: unordered}}}",
        {"a": [{"k": 1, "v": 1}, {"k": 2}]},
        {"a": [{"k": 2}, {"k": 1, "v": 2}]},
        {("/a/0/v", K.VALUE_CHANGED)},
    ),
    (
        "keyed arrays",
        "default: {paths: {/a: {match_by: id}}}",
        {"a": [{"id": 1, "v": 1}, {"id": 2, "v": 2}]},
        {"a": [{"id": 2, "v": 2}, {"id": 1, "v": 9}]},
        {("/a/0/v", K.VALUE_CHANGED)},
    ),
    (
        "keyed arrays, element gone and new",
        "default: {paths: {/a: {array: keyed, match_by: id}}}",
        {"a": [{"id": 1}, {"id": 2}]},
        {"a": [{"id": 3}, {"id": 1}]},
        {("/a/1", K.FIELD_MISSING), ("/a/0", K.FIELD_ADDED)},
    ),
    (
        "absolute tolerance",
        "default: {paths: {/n: {tolerance: 1}}}",
        {"n": 10},
        {"n": 11},
        {("/n", K.NUMERIC_TOLERANCE)},
    ),
    (
        "relative tolerance",
        "default: {paths: {/n: {tolerance: {relative: 0.01}}}}",
        {"n": 1000},
        {"n": 1009},
        {("/n", K.NUMERIC_TOLERANCE)},
    ),
    (
        "relative tolerance exceeded",
        "default: {paths: {/n: {tolerance: {relative: 0.01}}}}",
        {"n": 1000},
        {"n": 1011},
        {("/n", K.VALUE_CHANGED)},
    ),
    (
        "timestamps as instants",
        "default: {paths: {/t: {normalise: timestamp}}}",
        {"t": "2024-05-01T12:00:00Z"},
        {"t": "2024-05-01T14:00:00+02:00"},
        set(),
    ),
    (
        "timestamps within tolerance",
        "default: {paths: {/t: {normalise: timestamp, timestamp_tolerance: 2}}}",
        {"t": "2024-05-01T12:00:00.000Z"},
        {"t": "2024-05-01T12:00:01.5Z"},
        set(),
    ),
    (
        "timestamps beyond tolerance",
        "default: {paths: {/t: {normalise: timestamp, timestamp_tolerance: 2}}}",
        {"t": "2024-05-01T12:00:00Z"},
        {"t": "2024-05-01T12:00:03Z"},
        {("/t", K.VALUE_CHANGED)},
    ),
    ("trim", "default: {paths: {/s: {normalise: trim}}}", {"s": " a "}, {"s": "a"}, set()),
    (
        "casefold",
        "default: {paths: {/s: {normalise: casefold}}}",
        {"s": "ABC"},
        {"s": "abc"},
        set(),
    ),
    (
        "trim and casefold",
        "default: {paths: {/s: {normalise: [trim, casefold]}}}",
        {"s": " ABC"},
        {"s": "abc "},
        set(),
    ),
    (
        "uuid class",
        "default: {paths: {/**/id: {normalise: uuid}}}",
        {"id": "0b0d6e3a-5c1e-4e0e-9b7e-3c0a1d2e3f40"},
        {"id": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"},
        set(),
    ),
    (
        "uuid class needs two uuids",
        "default: {paths: {/id: {normalise: uuid}}}",
        {"id": "0b0d6e3a-5c1e-4e0e-9b7e-3c0a1d2e3f40"},
        {"id": "nope"},
        {("/id", K.VALUE_CHANGED)},
    ),
    (
        "later rule overrides",
        "default: {paths: {/*: {ignore: true}, /keep: {ignore: false}}}",
        {"keep": 1, "other": 1},
        {"keep": 2, "other": 2},
        {("/keep", K.VALUE_CHANGED)},
    ),
]


@pytest.mark.parametrize(
    ("name", "rules", "a", "b", "expected"), RULE_CASES, ids=[c[0] for c in RULE_CASES]
)
def test_rule(name: str, rules: str, a: Any, b: Any, expected: set[tuple[str, Kind]]) -> None:
    ruleset = parse_rules(rules)
    result = compare(obs(a), obs(b), ruleset)
    assert kinds(result) == expected
    mismatch = any(kind.is_mismatch for _, kind in expected)
    assert result.verdict is (Verdict.MISMATCH if mismatch else Verdict.MATCH)


def test_the_same_pair_without_the_rule_differs() -> None:
    # Guards the table: each "nothing found" case must owe that to its rule.
    for name, _, a, b, expected in RULE_CASES:
        if not expected:
            assert compare(obs(a), obs(b)).differences, name


def test_header_allowlist_replaces_the_default() -> None:
    rules = parse_rules("default: {headers: [X-Version]}")
    a = obs({}, headers={"x-version": "1", "location": "/a"})
    b = obs({}, headers={"x-version": "2", "location": "/b"})
    assert kinds(compare(a, b, rules)) == {("header:x-version", K.HEADER)}


def test_endpoint_sections_apply_only_to_their_endpoints() -> None:
    rules = parse_rules(
        """
endpoints:
  "GET /users/*":
    paths: {/seen: {ignore: true}}
  "GET /**":
    paths: {/other: {ignore: true}}
"""
    )
    a, b = obs({"seen": 1, "other": 1}), obs({"seen": 2, "other": 2})
    assert kinds(compare(a, b, rules, endpoint="GET /users/{id}")) == set()
    assert kinds(compare(a, b, rules, endpoint="GET /users/{id}/posts")) == {
        ("/seen", K.VALUE_CHANGED)
    }
    assert kinds(compare(a, b, rules, endpoint="POST /users/{id}")) == {
        ("/seen", K.VALUE_CHANGED),
        ("/other", K.VALUE_CHANGED),
    }


def test_graphql_mode_on_for_any_object() -> None:
    rules = parse_rules("default: {graphql: on}")
    a = obs({"data": {"a": 1}, "other": 1})
    b = obs({"data": None, "other": 2})
    assert kinds(compare(a, b, rules)) == {("/data", K.GRAPHQL_NULL_DATA)}
    assert ("/data/a", K.FIELD_MISSING) not in kinds(compare(a, b, rules))


REDACTING = parse_rules(
    """
default:
  paths:
    /payment/card: {redact: true}
    /people[*]/ssn: {redact: true}
"""
)


def test_a_redacted_node_that_differs_is_reported_whole() -> None:
    a = {"payment": {"card": {"number": "4111", "cvc": "123"}, "total": 5}, "people": []}
    b = {"payment": {"card": {"number": "4242", "cvc": "999"}, "total": 6}, "people": []}
    result = compare(obs(a), obs(b), REDACTING)
    assert [(d.path, d.kind, d.redact) for d in result.differences] == [
        ("/payment/card", Kind.VALUE_CHANGED, True),
        ("/payment/total", Kind.VALUE_CHANGED, False),
    ]
    # The values are still there to judge by; only storage and the topic hide them.
    assert result.verdict is Verdict.MISMATCH


def test_no_member_name_below_a_redacted_node_is_reported() -> None:
    rules = parse_rules("default: {paths: {/tokens: {redact: true}}}")
    a = {"tokens": {"sk_live_one": {"n": 1}}}
    b = {"tokens": {"sk_live_one": {"n": 2}, "sk_live_two": {"n": 1}}}
    result = compare(obs(a), obs(b), rules, endpoint="GET /keys")
    assert [(d.path, d.redact) for d in result.differences] == [("/tokens", True)]
    assert "sk_live" not in result.summary


def test_rules_below_a_redacted_node_still_apply() -> None:
    rules = parse_rules("default: {paths: {/card: {redact: true}, /card/seen_at: {ignore: true}}}")
    a = {"card": {"number": "4111", "seen_at": "10:00"}}
    b = {"card": {"number": "4111", "seen_at": "10:05"}}
    assert compare(obs(a), obs(b), rules).verdict is Verdict.MATCH


def test_redact_tells_an_array_index_from_a_member_named_like_one() -> None:
    a = {"people": [{"ssn": "1"}], "0": {"ssn": "1"}}
    b = {"people": [{"ssn": "2"}], "0": {"ssn": "2"}}
    result = compare(obs(a), obs(b), REDACTING)
    assert {d.path: d.redact for d in result.differences} == {
        "/people/0/ssn": True,
        "/0/ssn": False,
    }


def test_redact_covers_members_only_one_side_has() -> None:
    result = compare(obs({"payment": {}}), obs({"payment": {"card": "4111"}}), REDACTING)
    assert [(d.path, d.kind, d.redact) for d in result.differences] == [
        ("/payment/card", Kind.FIELD_ADDED, True)
    ]


@pytest.mark.parametrize(
    ("a", "b", "path"),
    [
        ({"payment": {"card": "4111"}}, {"payment": None}, "/payment"),
        ({"payment": {"card": "4111"}}, {}, "/payment"),
        ({"people": []}, {"people": [{"ssn": "1"}]}, "/people/0"),
        (
            {"people": [{"ssn": "1"}, {"ssn": "2"}]},
            {"people": [{"ssn": "2"}, {"ssn": "1"}]},
            "/people",
        ),
    ],
    ids=["type changed", "member missing", "element added", "array order"],
)
def test_redact_covers_a_difference_whose_value_holds_a_redacted_node(
    a: Any, b: Any, path: str
) -> None:
    result = compare(obs(a), obs(b), REDACTING)
    assert {d.path: d.redact for d in result.differences}[path] is True


def test_a_difference_holding_no_redacted_node_is_kept() -> None:
    result = compare(obs({"payment": {"total": 5}}), obs({"payment": None}), REDACTING)
    assert [(d.path, d.redact) for d in result.differences] == [("/payment", False)]


def test_text_bodies_are_hashed_where_anything_is_redacted() -> None:
    # Rules cannot see into text, so text that differs is hashed whole.
    a = obs(b"card=4111", content_type="text/plain")
    b = obs(b"card=4242", content_type="text/plain")
    assert [d.redact for d in compare(a, b, REDACTING).differences] == [True]
    assert [d.redact for d in compare(a, b).differences] == [False]


def test_redact_is_part_of_the_rules_version_only_when_said() -> None:
    # Stored results name the version that judged them, so a file written
    # before `redact` existed must keep its version (computed back then).
    plain = "default: {paths: {/a: {ignore: true}}}"
    assert parse_rules(plain).version == "15ae35607f0b"
    said = "default: {paths: {/a: {ignore: true, redact: true}}}"
    assert parse_rules(said).version != parse_rules(plain).version
