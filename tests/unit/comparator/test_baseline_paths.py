"""The paths a comparison differs at, folded as signatures fold them."""

from __future__ import annotations

import pytest

from comparator import RuleSet, compare
from comparator.baseline import differing_paths, fold
from tests.unit.comparator.helpers import obs


@pytest.mark.parametrize(
    ("path", "folded"),
    [
        ("/items/3/price", "/items/[*]/price"),
        ("/items/12", "/items/[*]"),
        ("/a1/b", "/a1/b"),
        ("status", "status"),
        ("header:x-request-id", "header:x-request-id"),
        ("", ""),
    ],
)
def test_indices_fold(path: str, folded: str) -> None:
    assert fold(path) == folded


def test_the_paths_are_those_of_the_mismatching_differences_folded() -> None:
    rules = RuleSet.default()
    found = compare(
        obs({"items": [{"p": 1}, {"p": 2}], "n": 1}),
        obs({"items": [{"p": 9}, {"p": 8}], "n": 2}),
        rules,
        endpoint="GET /x",
    )
    assert differing_paths(found) == frozenset({"/items/[*]/p", "/n"})
