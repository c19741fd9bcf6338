"""Headers across the proxy: what is forwarded, what is published, how bodies are read.

Hop-by-hop headers (RFC 9110 §7.6.1: Connection, the fields it names,
Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade) describe
one connection, so they are neither forwarded nor published. Everything else
passes through unchanged, repeated fields included; Content-Length is left for
the HTTP library to write for the body it actually sends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping

from multidict import CIMultiDict, CIMultiDictProxy

HOP_BY_HOP: frozenset[str] = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

REQUEST_ID = "X-Request-ID"

_FRAMING: frozenset[str] = frozenset({"content-length", "host"})


def _connection_tokens(headers: Mapping[str, str] | CIMultiDictProxy[str]) -> set[str]:
    tokens: set[str] = set()
    for name, value in headers.items():
        if name.lower() == "connection":
            tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def end_to_end(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> CIMultiDict[str]:
    """`headers` without hop-by-hop fields, Host and Content-Length; repeats kept in order."""
    dropped = HOP_BY_HOP | _FRAMING | _connection_tokens(headers)
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in dropped)


def flatten(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names, repeated fields joined with ``, ``, as the wire format wants."""
    flat: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        flat[key] = f"{flat[key]}, {value}" if key in flat else value
    return flat


def decoded(body: bytes, content_encoding: str | None) -> bytes:
    """`body` without gzip or deflate content coding, as the wire format wants.

    The client gets the primary's bytes untouched; this is only what is
    published. A coding this cannot undo (br, zstd, a corrupt stream) leaves the
    bytes as they came: the two sides are then compared as binary.
    """
    coding = (content_encoding or "").strip().lower()
    if not body or coding in ("", "identity"):
        return body
    try:
        if coding in ("gzip", "x-gzip"):
            return zlib.decompress(body, wbits=zlib.MAX_WBITS | 16)
        if coding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, wbits=-zlib.MAX_WBITS)  # raw deflate, as some send
    except zlib.error:
        return body
    return body
