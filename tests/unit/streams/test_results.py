from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comparator import Comparison, Difference, Kind, Result, Verdict
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


@pytest.mark.parametrize("value", [1, 1.5, "x", None, True, {"k": [1, 2]}, 2**70, -(2**80)])
def test_round_trip_keeps_every_field(value: object) -> None:
    original = result(value)
    assert decode_result(encode_result(original)) == original
