"""Signatures group requests by problem; orphans group by endpoint and side."""

from __future__ import annotations

import pytest

from comparator import RuleSet, Verdict, compare, orphan
from comparator.signature import summary_verdict
from tests.unit.comparator.helpers import obs

RULES = RuleSet.default()


def sig(a: object, b: object, endpoint: str = "GET /users") -> str | None:
    return compare(obs(a), obs(b), RULES, endpoint=endpoint).signature


def test_same_problem_at_other_indices_and_values_shares_a_signature() -> None:
    first = sig({"items": [{"p": 1}, {"p": 2}]}, {"items": [{"p": 9}, {"p": 2}]})
    second = sig({"items": [{"p": 1}, {"p": 2}]}, {"items": [{"p": 1}, {"p": 7}]})
    assert first is not None
    assert first == second


def test_other_kind_path_or_endpoint_gives_another_signature() -> None:
    base = sig({"a": 1}, {"a": 2})
    assert base is not None
    assert sig({"a": 1}, {"a": "2"}) != base  # type_changed, not value_changed
    assert sig({"b": 1}, {"b": 2}) != base
    assert sig({"a": 1}, {"a": 2}, endpoint="GET /orders") != base


def test_object_members_that_look_like_indices_are_not_folded() -> None:
    member_0 = sig({"m": {"0": 1}}, {"m": {"0": 2}})
    assert member_0 is not None
    assert member_0 != sig({"m": {"1": 1}}, {"m": {"1": 2}})
    index_0 = sig({"m": [1]}, {"m": [2]})
    assert index_0 is not None
    assert index_0 == sig({"m": [3, 1]}, {"m": [3, 2]})


def test_signature_is_a_set_of_problems() -> None:
    twice = sig({"l": [1, 1]}, {"l": [2, 2]})
    once = sig({"l": [1, 5]}, {"l": [2, 5]})
    assert twice is not None
    assert twice == once


def test_signature_is_short_hex_and_summary_is_readable() -> None:
    result = compare(
        obs({"items": [{"p": 1}]}), obs({"items": [{"p": 2}]}), RULES, endpoint="GET /users"
    )
    assert result.signature is not None
    assert len(result.signature) == 16
    int(result.signature, 16)
    assert result.summary == "GET /users mismatch: value_changed /items/[*]/p"


def test_tolerated_differences_do_not_split_a_problem() -> None:
    from comparator import parse_rules

    rules = parse_rules("default: {paths: {/n: {tolerance: 1}}}")
    a = compare(obs({"n": 1, "s": "x"}), obs({"n": 1.5, "s": "y"}), rules).signature
    b = compare(obs({"n": 1, "s": "x"}), obs({"n": 1, "s": "y"}), rules).signature
    assert a is not None
    assert a == b


def test_orphans_group_by_endpoint_and_missing_side() -> None:
    a = orphan(Verdict.MISSING_CANDIDATE, RULES, "GET /users")
    assert a.verdict is Verdict.MISSING_CANDIDATE
    assert a.differences == ()
    assert a.rules_version == RULES.version
    assert a.signature == orphan(Verdict.MISSING_CANDIDATE, RULES, "GET /users").signature
    assert a.signature != orphan(Verdict.MISSING_PRIMARY, RULES, "GET /users").signature
    assert a.signature != orphan(Verdict.MISSING_CANDIDATE, RULES, "GET /orders").signature
    assert "GET /users" in a.summary


def test_orphan_refuses_a_verdict_compare_decides() -> None:
    with pytest.raises(ValueError, match="missing_primary or missing_candidate"):
        orphan(Verdict.MISMATCH, RULES, "GET /users")


@pytest.mark.parametrize("endpoint", ["GET /users", "", "POST /a: b"])
def test_a_summary_names_the_verdict_of_its_signature(endpoint: str) -> None:
    mismatch = compare(obs({"a": 1}), obs({"a": 2}), RULES, endpoint=endpoint)
    missing = orphan(Verdict.MISSING_CANDIDATE, RULES, endpoint)
    assert summary_verdict(endpoint, mismatch.summary) is Verdict.MISMATCH
    assert summary_verdict(endpoint, missing.summary) is Verdict.MISSING_CANDIDATE
    assert summary_verdict("GET /other", mismatch.summary) is None
    assert summary_verdict(endpoint, "") is None
