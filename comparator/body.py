"""Turning a response body into something comparable.

JSON bodies are parsed with orjson. orjson reads an integer past 64 bits as a
float and refuses NaN, Infinity and numbers past a double's range, so a body
with a run of 19 or more digits, or one orjson refuses, is parsed again with
the standard library, which keeps integers exact. A body that is not JSON is
compared as text (whitespace folded unless the rules say `exact`) or, when it is
not UTF-8 or its content type says binary, by SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from comparator.rules import WhitespaceMode

BodyForm = Literal["json", "text", "binary", "empty", "unparseable"]
"""What a body turned out to be: a JSON document; text; bytes known only by
digest; nothing; or text that was declared JSON but does not parse."""

# Digits become "0" and everything else ".", so a long number is a run of
# zeros; the needle ends in "." because a needle ending in the haystack's
# commonest byte makes bytes.find crawl.
_DIGITS = bytes.maketrans(
    bytes(range(256)), bytes(0x30 if 0x30 <= c <= 0x39 else 0x2E for c in range(256))
)
_LONG_RUN = b"0" * 19
_BINARY_TYPES = ("image/", "audio/", "video/", "font/")
_BINARY_SUBTYPES = ("octet-stream", "zip", "gzip", "pdf", "protobuf", "x-protobuf", "msgpack")
SHOWN_TEXT = 2000
"""Longest text kept in a difference; longer text is cut with an ellipsis."""


@dataclass(frozen=True, slots=True)
class Body:
    form: BodyForm
    value: Any


def media_type(content_type: str | None) -> str | None:
    """`type/subtype`, lower-case, parameters dropped; None when absent."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _declares_json(mtype: str | None) -> bool:
    return mtype is not None and (mtype.endswith("/json") or mtype.endswith("+json"))


def _declares_binary(mtype: str | None) -> bool:
    if mtype is None:
        return False
    return mtype.startswith(_BINARY_TYPES) or mtype.split("/", 1)[-1] in _BINARY_SUBTYPES


def loads(data: bytes) -> tuple[bool, Any]:
    """(True, document) when `data` is JSON, else (False, None)."""
    shape = data.translate(_DIGITS)
    if shape.find(_LONG_RUN + b".") < 0 and not shape.endswith(_LONG_RUN):
        try:
            return True, orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    try:
        return True, json.loads(data)
    except (ValueError, RecursionError):
        return False, None


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def shown(text: str) -> str:
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "…"


def parse_body(data: bytes, content_type: str | None, whitespace: WhitespaceMode) -> Body:
    """Classify and parse one body (see the module docstring for the order of tries)."""
    if not data:
        return Body("empty", None)
    mtype = media_type(content_type)
    if _declares_binary(mtype):
        return Body("binary", digest(data))
    if mtype is None or _declares_json(mtype):
        ok, doc = loads(data)
        if ok:
            return Body("json", doc)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Body("binary", digest(data))
    if whitespace == "normalise":
        text = " ".join(text.split())
    return Body("unparseable" if _declares_json(mtype) else "text", text)
