"""Properties of `compare` on random JSON documents (500 examples each)."""

from __future__ import annotations

import json
import random
from typing import Any

import jsonpatch
from deepdiff import DeepDiff
from hypothesis import example, given
from hypothesis import strategies as st

from comparator import Difference, Kind, Verdict, compare, parse_rules
from tests.unit.comparator.helpers import EXAMPLES, disguised, documents, json_equal, obs, to_patch

# No path rules and GraphQL off: plain JSON semantics, nothing ignored.
NO_RULES = parse_rules("default: {graphql: off}")


def deepdiff_json(a: Any, b: Any) -> DeepDiff:
    """DeepDiff set to JSON's semantics.

    int and float are one type (numbers by value), but bool, a subclass of int
    in Python, is not a number; arrays are compared element by element (its
    default matching hashes elements, and hash(True) == hash(1)).
    """
    return DeepDiff(
        a,
        b,
        ignore_type_in_groups=[(int, float)],
        ignore_type_subclasses=True,
        zip_ordered_iterables=True,
    )


def encode(doc: Any, pretty: bool = False) -> bytes:
    if pretty:  # another encoder: sorted members, indentation, escaped text
        return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=True).encode()
    return json.dumps(doc, ensure_ascii=False).encode()


def _mirrored(d: Difference) -> tuple[str, Kind, str, str]:
    kind = {Kind.FIELD_MISSING: Kind.FIELD_ADDED, Kind.FIELD_ADDED: Kind.FIELD_MISSING}.get(
        d.kind, d.kind
    )
    return (d.path, kind, json.dumps(d.candidate), json.dumps(d.primary))


def _plain(d: Difference) -> tuple[str, Kind, str, str]:
    return (d.path, d.kind, json.dumps(d.primary), json.dumps(d.candidate))


@EXAMPLES
@given(documents)
# Once wrongly an array_order: equal elements that orjson cannot serialise.
@example([False, [-9_223_372_036_854_775_809], [-9_223_372_036_854_775_809]])
def test_a_document_matches_itself_in_any_encoding(doc: Any) -> None:
    result = compare(obs(encode(doc)), obs(encode(doc, pretty=True)), NO_RULES)
    assert result.verdict is Verdict.MATCH
    assert result.differences == ()
    assert result.signature is None


@EXAMPLES
@given(documents, documents)
def test_swapping_sides_mirrors_the_differences(a: Any, b: Any) -> None:
    forward = compare(obs(encode(a)), obs(encode(b)), NO_RULES)
    backward = compare(obs(encode(b)), obs(encode(a)), NO_RULES)
    assert forward.verdict is backward.verdict
    assert sorted(map(_mirrored, forward.differences)) == sorted(map(_plain, backward.differences))


@EXAMPLES
@given(documents, documents)
def test_differences_as_a_json_patch_turn_primary_into_candidate(a: Any, b: Any) -> None:
    result = compare(obs(encode(a)), obs(encode(b)), NO_RULES)
    patched = jsonpatch.apply_patch(a, to_patch(result.differences))
    assert json_equal(patched, b), (result.differences, patched)


@EXAMPLES
@given(documents, documents)
def test_verdict_agrees_with_deepdiff(a: Any, b: Any) -> None:
    result = compare(obs(encode(a)), obs(encode(b)), NO_RULES)
    reference = deepdiff_json(a, b)
    assert (result.verdict is Verdict.MATCH) == (not reference), reference


@EXAMPLES
@given(documents, st.randoms(use_true_random=False))
def test_a_boolean_never_passes_for_a_number(doc: Any, rnd: random.Random) -> None:
    # Python's `==` calls True and 1 equal; JSON does not. The disguised copy is
    # `==` to the document, so only the comparator's own check can tell.
    swapped: list[bool] = []
    other = disguised(doc, rnd, swapped)
    assert other == doc
    result = compare(obs(encode(doc)), obs(encode(other)), NO_RULES)
    assert (result.verdict is Verdict.MATCH) == (not swapped), result.differences
