"""Writes `exchanges.json`: exchanges and their exact single-object encoding.

    .venv/bin/python -m tests.vectors.make_vectors

The file is shared by every encoder of the wire format: the Python codec's unit
test and the Go client's test both encode each exchange and must produce these
bytes exactly, and decode them back to it. Run this only when the schema
changes on purpose; the Go client then needs the same change.

Header maps are listed in sorted order, with the digest header (if any) last:
that is the order the Go client writes, since Go maps have none of their own.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from streams.codec import FINGERPRINT, encode
from streams.exchange import Exchange

PATH = Path(__file__).with_name("exchanges.json")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CASES: list[tuple[str, Exchange]] = [
    (
        "minimal",
        Exchange(
            request_id="r1",
            side="primary",
            endpoint="GET /health",
            method="GET",
            path="/health",
            started_at=datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
        ),
    ),
    (
        "every field",
        Exchange(
            request_id="3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a2b",
            side="candidate",
            endpoint="GET /users/{id}",
            method="GET",
            path="/users/42",
            query="full=1&lang=fr",
            started_at=datetime(2025, 1, 6, 9, 0, 0, 125000, tzinfo=UTC),
            status=200,
            request_headers={"accept": "application/json", "x-request-id": "3f2b8c1e"},
            request_body=b"",
            response_headers={
                "cache-control": "no-store",
                "content-type": "application/json",
                "set-cookie": "a=1, b=2",
            },
            response_body='{"id":42,"name":"Zoë 名前"}'.encode(),
            content_type="application/json",
            latency_ms=12.5,
            backend_version="v2.3.1-9f1c",
        ),
    ),
    (
        "no answer",
        Exchange(
            request_id="r-timeout",
            side="candidate",
            endpoint="query getUserProfile",
            method="POST",
            path="/graphql",
            started_at=datetime(2025, 1, 6, 9, 0, 1, tzinfo=UTC),
            request_headers={"content-type": "application/json"},
            request_body=b'{"query": "query getUserProfile { me { id } }"}',
            latency_ms=10000.0,
            error="timeout",
        ),
    ),
    (
        "binary body, secondary, odd status",
        Exchange(
            request_id="r-bin",
            side="secondary",
            endpoint="PUT /blobs/{id}",
            method="PUT",
            path="/blobs/ab12",
            started_at=_EPOCH - timedelta(milliseconds=1),
            status=599,
            request_body=bytes(range(256)) * 2,
            response_body=b"\x00\xff\xfe\x80",
            content_type="application/octet-stream",
            latency_ms=0.0,
        ),
    ),
    (
        "body by digest",
        Exchange(
            request_id="r-big",
            side="primary",
            endpoint="GET /exports/{id}",
            method="GET",
            path="/exports/7",
            started_at=datetime(2025, 1, 6, 9, 0, 2, 999000, tzinfo=UTC),
            status=200,
            response_headers={"content-type": "text/csv", "x-total": "100000"},
            content_type="text/csv",
            latency_ms=812.25,
            response_digest="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
    ),
]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def as_json(exchange: Exchange) -> dict[str, Any]:
    """An exchange in the vector file's terms: bytes as base64, time as epoch millis."""
    millis = (exchange.started_at - _EPOCH) // timedelta(milliseconds=1)
    return {
        "request_id": exchange.request_id,
        "side": exchange.side,
        "endpoint": exchange.endpoint,
        "method": exchange.method,
        "path": exchange.path,
        "query": exchange.query,
        "request_headers": dict(exchange.request_headers),
        "request_body_base64": _b64(exchange.request_body),
        "status": exchange.status,
        "response_headers": dict(exchange.response_headers),
        "response_body_base64": _b64(exchange.response_body),
        "content_type": exchange.content_type,
        "started_at_millis": millis,
        "latency_ms": exchange.latency_ms,
        "backend_version": exchange.backend_version,
        "error": exchange.error,
        "response_digest": exchange.response_digest,
    }


def from_json(data: dict[str, Any]) -> Exchange:
    """The `Exchange` a vector describes."""
    return Exchange(
        request_id=data["request_id"],
        side=data["side"],
        endpoint=data["endpoint"],
        method=data["method"],
        path=data["path"],
        query=data["query"],
        request_headers=data["request_headers"],
        request_body=base64.b64decode(data["request_body_base64"]),
        status=data["status"],
        response_headers=data["response_headers"],
        response_body=base64.b64decode(data["response_body_base64"]),
        content_type=data["content_type"],
        started_at=_EPOCH + timedelta(milliseconds=data["started_at_millis"]),
        latency_ms=data["latency_ms"],
        backend_version=data["backend_version"],
        error=data["error"],
        response_digest=data["response_digest"],
    )


def main() -> None:
    vectors = [
        {"name": name, "exchange": as_json(exchange), "encoded_hex": encode(exchange).hex()}
        for name, exchange in CASES
    ]
    document = {"schema_fingerprint_hex": FINGERPRINT.hex(), "vectors": vectors}
    PATH.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {PATH}")


if __name__ == "__main__":
    main()
