"""The compiled hot loop: in use where it should be, and the same as its source.

`comparator/walk.py` is compiled to C at install (setup.py) and runs
interpreted where no compiler was at hand. Both must judge alike; the compiled
one must be what CI measures and ships.
"""

from __future__ import annotations

import importlib.util
import os
import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comparator import RuleSet, parse_rules, walk
from tests.unit.comparator.helpers import EXAMPLES, disguised, documents

RULES = {
    "none": RuleSet.default(),
    "some": parse_rules(
        """
default:
  paths:
    /b: {array: unordered}
    /**/a: {tolerance: 0.5}
    /a/b: {ignore: true}
"""
    ),
    "more": parse_rules(
        """
default:
  paths:
    /a: {redact: true}
    /**/b: {match_by: a}
"""
    ),
}


def _interpreted() -> ModuleType:
    """`comparator/walk.py` loaded from its source, whatever was compiled."""
    spec = importlib.util.spec_from_file_location(
        "comparator._walk_interpreted", Path(walk.__file__).with_name("walk.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


INTERPRETED = _interpreted()
needs_compiled = pytest.mark.skipif(
    not walk.COMPILED, reason="comparator.walk is interpreted here: nothing to check it against"
)


def test_ci_runs_the_compiled_comparator() -> None:
    # The benchmarks and the Docker image assume it; a build that silently
    # fell back to the interpreted module must not pass CI.
    if os.environ.get("CI", "").strip().lower() != "true" and not walk.COMPILED:
        pytest.skip("interpreted here (no C compiler at install); CI requires the compiled one")
    assert walk.COMPILED, "comparator.walk was not compiled: is a C compiler (gcc) installed?"
    assert not INTERPRETED.COMPILED


def _both(a: Any, b: Any, rules: str, strict: bool) -> tuple[list[Any], list[Any]]:
    compiled: list[Any] = []
    interpreted: list[Any] = []
    walk.diff_documents(a, b, RULES[rules].for_endpoint(""), strict, compiled)
    INTERPRETED.diff_documents(a, b, RULES[rules].for_endpoint(""), strict, interpreted)
    return compiled, interpreted


@needs_compiled
@EXAMPLES
@given(documents, documents, st.sampled_from(sorted(RULES)), st.booleans())
def test_compiled_and_interpreted_find_the_same_differences(
    a: Any, b: Any, rules: str, strict: bool
) -> None:
    compiled, interpreted = _both(a, b, rules, strict)
    assert compiled == interpreted


@needs_compiled
@EXAMPLES
@given(documents, st.randoms(use_true_random=False))
def test_compiled_and_interpreted_keep_booleans_apart_alike(doc: Any, rnd: random.Random) -> None:
    swapped: list[bool] = []
    other = disguised(doc, rnd, swapped)
    assert walk.json_equal(doc, other) == INTERPRETED.json_equal(doc, other) == (not swapped)
    compiled, interpreted = _both(doc, other, "none", strict=True)
    assert compiled == interpreted
    assert bool(compiled) == bool(swapped)


@needs_compiled
@pytest.mark.parametrize("depth", [10, walk.MAX_DEPTH - 5, walk.MAX_DEPTH + 5, 600])
def test_compiled_and_interpreted_agree_on_deep_documents(depth: int) -> None:
    # Past MAX_DEPTH both give up comparing whole and walk node by node; they
    # must give up at the same depth, or their verdicts would part there.
    def nest(leaf: list[Any]) -> Any:
        doc: Any = leaf
        for _ in range(depth):
            doc = {"a": doc}
        return doc

    compiled, interpreted = _both(nest([1, 2, True]), nest([2, 1, True]), "none", strict=True)
    assert compiled == interpreted
    assert compiled
