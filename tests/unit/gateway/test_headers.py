"""Hop-by-hop headers stay on their connection; published headers and bodies are decoded."""

from __future__ import annotations

import gzip
import zlib

from multidict import CIMultiDict

from gateway.headers import decoded, end_to_end, flatten


def test_hop_by_hop_and_connection_named_fields_are_dropped() -> None:
    headers = CIMultiDict(
        [
            ("Host", "example.com"),
            ("Connection", "keep-alive, X-Debug"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("TE", "trailers"),
            ("Upgrade", "websocket"),
            ("Proxy-Authorization", "Basic x"),
            ("Content-Length", "12"),
            ("X-Debug", "1"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Authorization", "Bearer t"),
        ]
    )
    kept = end_to_end(headers)
    assert list(kept.items()) == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Authorization", "Bearer t"),
    ]


def test_flatten_lowers_names_and_joins_repeats() -> None:
    assert flatten([("Set-Cookie", "a=1"), ("X-A", "x"), ("set-cookie", "b=2")]) == {
        "set-cookie": "a=1, b=2",
        "x-a": "x",
    }


def test_bodies_are_published_without_content_coding() -> None:
    text = b'{"id": 7}' * 50
    assert decoded(gzip.compress(text), "gzip") == text
    assert decoded(zlib.compress(text), "deflate") == text
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decoded(raw.compress(text) + raw.flush(), "Deflate") == text
    assert decoded(text, None) == text
    assert decoded(b"not gzip at all", "gzip") == b"not gzip at all"  # left as it came
    assert decoded(b"\x8b\x00brotli", "br") == b"\x8b\x00brotli"
