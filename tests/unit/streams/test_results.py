from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from comparator import Comparison, Difference, Kind, Result, Verdict
from storage.redaction import Redactor
from streams.results import decode_result, encode_result


def result(value: object) -> Result:
    return Result(
        request_id="r1",
        endpoint="GET /x",
        method="GET",
        observed_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        primary_status=200,
        candidate_status=None,
        primary_latency_ms=12.5,
        candidate_latency_ms=None,
        comparison=Comparison(
            verdict=Verdict.MISMATCH,
            differences=(Difference("/a/0", Kind.VALUE_CHANGED, value, None),),
            rules_version="v1",
            signature="abc",
            summary="value_changed /a/[*]",
        ),
    )


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [1, 1.5, "x", None, True, {"k": [1, 2]}, 2**70 + 1, -(2**80) - 1, _nested(600)],
    ids=["int", "float", "str", "null", "bool", "object", "big", "big-negative", "deep"],
)
def test_round_trip_keeps_every_field(value: object) -> None:
    original = result(value)
    assert decode_result(encode_result(original)) == original


def test_a_redacted_result_round_trips_with_markers_only() -> None:
    redactor = Redactor(b"k")
    secret = Difference("/card", Kind.VALUE_CHANGED, "4111", "4242", redact=True)
    cookie = Difference("header:cookie", Kind.HEADER, "s=1", None)
    plain = Difference("/total", Kind.VALUE_CHANGED, 5, 6)
    original = result(None)
    original = replace(
        original,
        comparison=replace(original.comparison, differences=(secret, cookie, plain)),
    )
    sent = encode_result(redactor.result(original))
    for text in (b"4111", b"4242", b"s=1"):
        assert text not in sent
    back = decode_result(sent).comparison.differences
    assert back[0] == replace(
        secret, primary=redactor.marker("4111"), candidate=redactor.marker("4242")
    )
    assert back[1] == replace(cookie, primary=redactor.marker("s=1"))
    assert back[2] == plain


@pytest.mark.parametrize("paths", [(), ("/generated_at", "/items/[*]/id")])
def test_the_secondary_baseline_round_trips(paths: tuple[str, ...]) -> None:
    original = replace(result(1), secondary_paths=paths)
    assert decode_result(encode_result(original)) == original
    assert decode_result(encode_result(result(1))).secondary_paths is None
