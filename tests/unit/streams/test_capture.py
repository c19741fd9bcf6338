"""Capture files: JSON Lines and Avro round trips, hand-written lines, precise errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from streams.capture import CaptureError, count_records, read_capture, write_capture
from streams.exchange import Exchange
from streams.synthetic import generate


def _binary_exchange() -> Exchange:
    return Exchange(
        request_id="bin-1",
        side="candidate",
        endpoint="GET /avatars/{id}",
        method="GET",
        path="/avatars/9",
        started_at=datetime(2025, 1, 6, 9, 0, 1, 500000, tzinfo=UTC),
        status=200,
        request_body=b"",
        response_body=bytes(range(256)),
        content_type="image/png",
    )


@pytest.mark.parametrize("suffix", [".jsonl", ".avro"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    exchanges = [*generate(60, seed=3).exchanges, _binary_exchange()]
    path = tmp_path / f"capture{suffix}"
    assert write_capture(path, exchanges) == len(exchanges)
    assert list(read_capture(path)) == exchanges


def test_explicit_format_overrides_the_extension(tmp_path: Path) -> None:
    exchanges = generate(5, seed=1).exchanges
    path = tmp_path / "capture.bin"
    write_capture(path, exchanges, fmt="avro")
    assert path.read_bytes().startswith(b"Obj\x01")
    assert list(read_capture(path, fmt="avro")) == exchanges
    with pytest.raises(CaptureError, match="unknown capture format"):
        list(read_capture(path))


def test_binary_body_is_written_as_base64_marker(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_capture(path, [_binary_exchange()])
    line = json.loads(path.read_text())
    assert set(line["response_body"]) == {"base64"}
    assert "request_body" not in line  # empty fields are left out
    assert line["started_at"] == "2025-01-06T09:00:01.500Z"


def test_hand_written_lines(tmp_path: Path) -> None:
    lines = [
        # minimal: only the required fields
        {"request_id": "a", "side": "primary", "endpoint": "GET /x", "method": "GET", "path": "/x",
         "started_at": "2025-01-06T09:00:00Z"},
        # body as a JSON value, offset time, mixed-case headers, integer latency
        {"request_id": "a", "side": "candidate", "endpoint": "GET /x", "method": "GET",
         "path": "/x", "started_at": "2025-01-06T10:00:00.250+01:00", "status": 200,
         "response_headers": {"Content-Type": "application/json"},
         "response_body": {"b": [1, 2], "a": None}, "latency_ms": 12},
        # naive time read as UTC, base64 request body, body given as an array
        {"request_id": "b", "side": "secondary", "endpoint": "POST /y", "method": "POST",
         "path": "/y", "started_at": "2025-01-06T09:00:01", "request_body": {"base64": "AAE="},
         "response_body": [1, {"k": "v"}], "error": None},
    ]  # fmt: skip
    path = tmp_path / "hand.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    first, second, third = read_capture(path)
    assert first == Exchange(
        request_id="a",
        side="primary",
        endpoint="GET /x",
        method="GET",
        path="/x",
        started_at=datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
    )
    assert second.started_at == datetime(2025, 1, 6, 9, 0, 0, 250000, tzinfo=UTC)
    assert second.started_at.tzinfo == UTC
    assert second.response_body == b'{"b":[1,2],"a":null}'
    assert dict(second.response_headers) == {"content-type": "application/json"}
    assert second.latency_ms == 12.0 and isinstance(second.latency_ms, float)
    assert third.started_at == datetime(2025, 1, 6, 9, 0, 1, tzinfo=timezone(timedelta(0)))
    assert third.request_body == b"\x00\x01"
    assert third.response_body == b'[1,{"k":"v"}]'
    assert third.status is None and third.error is None


_VALID = {
    "request_id": "r",
    "side": "primary",
    "endpoint": "GET /x",
    "method": "GET",
    "path": "/x",
    "started_at": "2025-01-06T09:00:00Z",
}

MALFORMED: list[tuple[str, str, str]] = [
    ("not json", '{"request_id": "r", ', "not valid JSON"),
    ("not an object", "[1, 2]", "expected a JSON object, got list"),
    ("missing request_id", json.dumps({k: v for k, v in _VALID.items() if k != "request_id"}),
     "missing required field 'request_id'"),
    ("empty request_id", json.dumps({**_VALID, "request_id": ""}), "request_id is empty"),
    ("unknown side", json.dumps({**_VALID, "side": "tertiary"}), "unknown side 'tertiary'"),
    ("bad time", json.dumps({**_VALID, "started_at": "yesterday"}), "not an ISO-8601 time"),
    ("numeric time", json.dumps({**_VALID, "started_at": 1736154000}), "must be ISO-8601 text"),
    ("status as text", json.dumps({**_VALID, "status": "200"}), "status has the wrong type"),
    ("status as bool", json.dumps({**_VALID, "status": True}), "status has the wrong type"),
    ("bad base64", json.dumps({**_VALID, "response_body": {"base64": "%%%"}}),
     "not valid base64"),
    ("body as number", json.dumps({**_VALID, "response_body": 5}), "response_body must be text"),
    ("header value not text", json.dumps({**_VALID, "request_headers": {"a": 1}}),
     "request_headers must be an object of text values"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "problem"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_malformed_line_names_file_line_and_problem(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_VALID) + "\n\n" + line + "\n")
    with pytest.raises(CaptureError) as caught:
        list(read_capture(path))
    assert caught.value.line == 3  # the blank line still counts
    assert str(caught.value).startswith(f"{path}:3: ")
    assert problem in caught.value.problem


def test_reading_is_lazy(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_VALID) + "\nthis line is broken\n")
    records = read_capture(path)
    assert next(records).request_id == "r"  # the broken second line is not read yet
    with pytest.raises(CaptureError, match=":2: not valid JSON"):
        next(records)


def test_corrupt_avro_file(tmp_path: Path) -> None:
    good = tmp_path / "good.avro"
    write_capture(good, generate(20, seed=2).exchanges)
    data = good.read_bytes()
    bad = tmp_path / "bad.avro"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CaptureError) as caught:
        list(read_capture(bad))
    assert str(bad) in str(caught.value)
    not_avro = tmp_path / "text.avro"
    not_avro.write_text("hello")
    with pytest.raises(CaptureError, match="not an Exchange Avro container file"):
        list(read_capture(not_avro))


@pytest.mark.parametrize("suffix", [".jsonl", ".avro"])
def test_count_records_without_decoding_them(tmp_path: Path, suffix: str) -> None:
    exchanges = generate(40, seed=3).exchanges
    path = tmp_path / f"capture{suffix}"
    write_capture(path, exchanges)
    assert count_records(path) == len(exchanges)


def test_count_records_of_a_broken_container_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "broken.avro"
    path.write_bytes(b"Obj\x01 not really")
    assert count_records(path) is None
