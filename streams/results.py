"""The `shadowdiff.comparisons` topic's record format: one `Result` as JSON.

JSON rather than Avro because the topic is internal (the writer agent is its
reader) and difference values are arbitrary JSON documents; other consumers of
verdicts read it with any JSON library.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import orjson

from comparator import Comparison, Difference, Kind, Result, Verdict


def encode_result(result: Result) -> bytes:
    try:
        return orjson.dumps(result)
    except TypeError:
        # orjson refuses integers past 64 bits; the stdlib keeps them exact.
        return json.dumps(asdict(result), separators=(",", ":"), default=_iso).encode()


def decode_result(data: bytes) -> Result:
    doc = _loads(data)
    comparison = doc["comparison"]
    return Result(
        request_id=doc["request_id"],
        endpoint=doc["endpoint"],
        method=doc["method"],
        observed_at=datetime.fromisoformat(doc["observed_at"]),
        primary_status=doc["primary_status"],
        candidate_status=doc["candidate_status"],
        primary_latency_ms=doc["primary_latency_ms"],
        candidate_latency_ms=doc["candidate_latency_ms"],
        comparison=Comparison(
            verdict=Verdict(comparison["verdict"]),
            differences=tuple(
                Difference(
                    d["path"], Kind(d["kind"]), d["primary"], d["candidate"], d.get("redact", False)
                )
                for d in comparison["differences"]
            ),
            rules_version=comparison["rules_version"],
            signature=comparison["signature"],
            summary=comparison["summary"],
        ),
    )


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
