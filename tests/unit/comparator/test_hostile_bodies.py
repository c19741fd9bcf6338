"""Hostile bodies get a clear verdict, and `compare` never raises on them.

Each case states the decision documented in `comparator.body`. Time and peak
memory of the large cases are printed (run with ``-s`` to see them), never
asserted: speed belongs in the benchmarks.
"""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import pytest

from comparator import Comparison, Difference, Kind, Observation, RuleSet, Verdict, compare
from comparator.walk import MAX_DEPTH, MAX_DIFFERENCES, Found, diff_documents, json_equal
from tests.unit.comparator.helpers import kinds

JSON = "application/json"
DEPTH = 10_000
MB = 1024 * 1024
T = TypeVar("T")


def measured(label: str, run: Callable[[], T]) -> T:
    """`run()`, printing its wall time and traced peak memory."""
    tracemalloc.start()
    began = time.perf_counter()
    try:
        result = run()
    finally:
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"\n{label}: {elapsed:.2f}s, peak {peak / MB:.0f} MiB (traced)")
    return result


def judge(a: bytes, b: bytes, content_type: str | None = JSON) -> Comparison:
    return compare(
        Observation(200, a, content_type=content_type),
        Observation(200, b, content_type=content_type),
    )


def storable(comparison: Comparison) -> bool:
    """Whether every difference serialises as UTF-8 JSON (what the result store needs)."""
    values = [(d.path, d.primary, d.candidate) for d in comparison.differences]
    try:
        orjson.dumps(values, default=str)
    except orjson.JSONEncodeError:
        return False
    return True


# --- nesting 10,000 deep ---------------------------------------------------------------


def _deep_array(leaf: bytes) -> bytes:
    return b"[" * DEPTH + leaf + b"]" * DEPTH


def _deep_doc(leaf: Any, key: str | None = None) -> Any:
    doc = leaf
    for _ in range(DEPTH):
        doc = [doc] if key is None else {key: doc}
    return doc


def test_deep_bodies_identical_match() -> None:
    assert judge(_deep_array(b"1"), _deep_array(b"1")).verdict is Verdict.MATCH


def test_deep_bodies_that_differ_are_one_root_difference() -> None:
    # Past the parsers' depth limit a body is not JSON: both sides compare as text.
    result = judge(_deep_array(b"1"), _deep_array(b"2"))
    assert result.verdict is Verdict.MISMATCH
    assert kinds(result) == {("", Kind.VALUE_CHANGED)}
    assert storable(result)


def test_deep_body_against_json_is_unparseable() -> None:
    result = judge(b"[[1]]", _deep_array(b"1"))
    assert kinds(result) == {("", Kind.BODY_UNPARSEABLE)}


@pytest.mark.parametrize("key", [None, "a"], ids=["arrays", "objects"])
def test_walk_handles_deep_documents_that_differ(key: str | None) -> None:
    rules = RuleSet.default().for_endpoint("")
    out: Found = []
    diff_documents(_deep_doc(1, key), _deep_doc(2, key), rules, False, out)
    assert [(d.kind, d.primary, d.candidate) for d, _ in out] == [(Kind.VALUE_CHANGED, 1, 2)]
    segment = "/0" if key is None else "/a"
    assert out[0][0].path == segment * DEPTH


@pytest.mark.parametrize("key", [None, "a"], ids=["arrays", "objects"])
def test_walk_keeps_booleans_apart_from_numbers_deep_down(key: str | None) -> None:
    rules = RuleSet.default().for_endpoint("")
    out: Found = []
    diff_documents(_deep_doc(True, key), _deep_doc(1, key), rules, True, out)
    assert [d.kind for d, _ in out] == [Kind.TYPE_CHANGED]


@pytest.mark.parametrize("key", [None, "a"], ids=["arrays", "objects"])
def test_json_equal_gives_up_past_its_depth_limit(key: str | None) -> None:
    # Compiled, nothing but this limit keeps the recursion off the C stack's
    # end; interpreted, it gives up there too, before Python's own limit.
    def nest(depth: int) -> Any:
        doc: Any = True
        for _ in range(depth):
            doc = [doc] if key is None else {key: doc}
        return doc

    assert json_equal(nest(MAX_DEPTH), nest(MAX_DEPTH))
    with pytest.raises(RecursionError):
        json_equal(nest(MAX_DEPTH + 1), nest(MAX_DEPTH + 1))
    with pytest.raises(RecursionError):
        json_equal(_deep_doc(True, key), _deep_doc(True, key))


# --- 50 MB bodies ----------------------------------------------------------------------


def test_fifty_megabytes_by_digest() -> None:
    big = b'{"blob": "' + b"x" * (50 * MB) + b'"}'
    other = big[:-3] + b'y"}'
    dig, dig_other = hashlib.sha256(big).hexdigest(), hashlib.sha256(other).hexdigest()
    same = compare(Observation(200, body_digest=dig), Observation(200, body_digest=dig))
    assert same.verdict is Verdict.MATCH
    differ = compare(Observation(200, body_digest=dig), Observation(200, body_digest=dig_other))
    assert [(d.path, d.kind) for d in differ.differences] == [("", Kind.TOO_LARGE)]
    # A digest on one side and the body itself on the other: judged by digest too.
    mixed = compare(Observation(200, body_digest=dig), Observation(200, big))
    assert mixed.verdict is Verdict.MATCH


def test_fifty_megabytes_passed_directly() -> None:
    blob = b"x" * (50 * MB)
    a = b'{"blob": "' + blob + b'", "n": 1}'
    b = b'{"blob": "' + blob + b'", "n": 2}'
    result = measured("50 MiB JSON, one member differs", lambda: judge(a, b))
    assert [(d.path, d.kind, d.primary, d.candidate) for d in result.differences] == [
        ("/n", Kind.VALUE_CHANGED, 1, 2)
    ]


def test_fifty_megabytes_of_text_passed_directly() -> None:
    # Long lines: whitespace folding makes one string per word, which under
    # tracing is slow for a body of millions of tiny words.
    a = (b"x" * 1023 + b"\n") * (50 * 1024)
    b = a[:-6] + b"other\n"
    result = measured("50 MiB text, last line differs", lambda: judge(a, b, "text/plain"))
    assert kinds(result) == {("", Kind.VALUE_CHANGED)}
    shown = result.differences[0].primary
    assert isinstance(shown, str) and len(shown) <= 2001


def test_fifty_megabytes_of_broken_json_passed_directly() -> None:
    a = b'{"blob": "' + b"x" * (50 * MB) + b'"}'
    result = measured("50 MiB JSON against a truncated copy", lambda: judge(a, a[:-1]))
    assert kinds(result) == {("", Kind.BODY_UNPARSEABLE)}


# --- invalid UTF-8 ---------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [JSON, None, "text/plain"])
def test_invalid_utf8_is_compared_by_digest(content_type: str | None) -> None:
    a, b = b'{"a": "\xff"}', b'{"a": "\xfe"}'
    assert judge(a, a, content_type).verdict is Verdict.MATCH
    result = judge(a, b, content_type)
    assert kinds(result) == {("", Kind.VALUE_CHANGED)}
    d = result.differences[0]
    assert d.primary == "sha256:" + hashlib.sha256(a).hexdigest()
    assert d.candidate == "sha256:" + hashlib.sha256(b).hexdigest()


@pytest.mark.parametrize(
    "bad",
    [b'{"a": "\xff"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\\ud800"}', b'{"a": "\\uDFFF x"}'],
    ids=["invalid-byte", "encoded-surrogate", "lone-surrogate-escape", "lone-low-surrogate"],
)
def test_invalid_utf8_against_json_is_unparseable(bad: bytes) -> None:
    result = judge(b'{"a": "ok"}', bad)
    assert kinds(result) == {("", Kind.BODY_UNPARSEABLE)}
    assert storable(result)


def test_escaped_surrogate_pair_is_ordinary_json() -> None:
    result = judge(b'{"a": "\\ud83d\\ude00", "n": 1}', '{"a": "\U0001f600", "n": 2}'.encode())
    assert kinds(result) == {("/n", Kind.VALUE_CHANGED)}


# --- NaN and Infinity ------------------------------------------------------------------


def test_nan_equals_nan() -> None:
    assert judge(b'{"a": NaN, "b": 1}', b'{"b": 1, "a": NaN}').verdict is Verdict.MATCH
    # With a boolean about, equality is confirmed strictly: still equal.
    a, b = b'{"a": [NaN, Infinity], "t": true}', b'{"t": true, "a": [NaN, Infinity]}'
    assert judge(a, b).verdict is Verdict.MATCH


@pytest.mark.parametrize(
    ("other", "kind"),
    [
        (b'{"a": null, "b": 1}', Kind.TYPE_CHANGED),
        (b'{"a": 0, "b": 1}', Kind.VALUE_CHANGED),
        (b'{"a": Infinity, "b": 1}', Kind.VALUE_CHANGED),
    ],
)
def test_nan_against_another_value_is_a_difference(other: bytes, kind: Kind) -> None:
    result = judge(b'{"a": NaN, "b": 1}', other)
    assert kinds(result) == {("/a", kind)}
    assert storable(result)


def test_infinity_differs_from_minus_infinity() -> None:
    result = judge(b"[Infinity, 1]", b"[-Infinity, 1]")
    assert [(d.path, d.kind) for d in result.differences] == [("/0", Kind.VALUE_CHANGED)]


# --- duplicate member names ------------------------------------------------------------


@pytest.mark.parametrize(
    "tail", [b"", b', "n": 123456789012345678901234567890'], ids=["orjson", "stdlib"]
)
def test_duplicate_names_last_one_wins(tail: bytes) -> None:
    duplicated = b'{"a": 1, "a": 2' + tail + b"}"
    assert judge(duplicated, b'{"a": 2' + tail + b"}").verdict is Verdict.MATCH
    result = judge(duplicated, b'{"a": 1' + tail + b"}")
    assert [(d.path, d.kind, d.primary, d.candidate) for d in result.differences] == [
        ("/a", Kind.VALUE_CHANGED, 2, 1)
    ]


# --- a 1,000,000-element array ---------------------------------------------------------

N = 1_000_000


@pytest.fixture(scope="module")
def million() -> list[int]:
    return list(range(N))


def test_million_equal(million: list[int]) -> None:
    body = orjson.dumps(million)
    assert measured("1M array, same bytes", lambda: judge(body, body)).verdict is Verdict.MATCH
    spaced = b"[" + b", ".join(str(i).encode() for i in million) + b"]"
    result = measured("1M array, equal, other spacing", lambda: judge(body, spaced))
    assert result.verdict is Verdict.MATCH


def test_million_one_element_differs(million: list[int]) -> None:
    changed = list(million)
    changed[654_321] = -1
    a, b = orjson.dumps(million), orjson.dumps(changed)
    result = measured("1M array, one element differs", lambda: judge(a, b))
    assert [(d.path, d.kind, d.primary, d.candidate) for d in result.differences] == [
        ("/654321", Kind.VALUE_CHANGED, 654_321, -1)
    ]


def test_million_lengths_differ(million: list[int]) -> None:
    a, b = orjson.dumps(million), orjson.dumps(million[:-1])
    result = measured("1M array, one element fewer", lambda: judge(a, b))
    assert kinds(result) == {("", Kind.ARRAY_LENGTH), (f"/{N - 1}", Kind.FIELD_MISSING)}
    length = next(d for d in result.differences if d.kind is Kind.ARRAY_LENGTH)
    assert (length.primary, length.candidate) == (N, N - 1)


def test_a_shifted_million_records_at_most_the_difference_limit(million: list[int]) -> None:
    a, b = orjson.dumps(million), orjson.dumps([*million[1:], N])
    result = measured("1M array, shifted by one", lambda: judge(a, b))
    assert result.verdict is Verdict.MISMATCH
    assert len(result.differences) == MAX_DIFFERENCES
    assert result.differences[0] == Difference("/0", Kind.VALUE_CHANGED, 0, 1)
