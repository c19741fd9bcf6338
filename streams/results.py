"""The `shadowdiff.comparisons` topic's record format: one `Result` as JSON.

JSON rather than Avro because the topic is internal (the writer agent is its
reader) and difference values are arbitrary JSON documents; other consumers of
verdicts read it with any JSON library.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import orjson

from comparator import Comparison, Difference, Kind, Result, Verdict
from storage.jsontext import json_text, json_value


def encode_result(result: Result) -> bytes:
    try:
        return orjson.dumps(result)
    except TypeError:
        # A difference value orjson refuses (an integer past 64 bits, nesting
        # past 255 levels) is written by `json_text`, as the store writes it,
        # and set in place as a fragment; orjson writes the rest.
        differences = tuple(
            replace(
                d,
                primary=orjson.Fragment(json_text(d.primary)),
                candidate=orjson.Fragment(json_text(d.candidate)),
            )
            for d in result.comparison.differences
        )
        return orjson.dumps(
            replace(result, comparison=replace(result.comparison, differences=differences))
        )


def decode_result(data: bytes) -> Result:
    doc = json_value(data)
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
        secondary_paths=_paths(doc.get("secondary_paths")),
    )


def _paths(paths: list[str] | None) -> tuple[str, ...] | None:
    return None if paths is None else tuple(paths)
