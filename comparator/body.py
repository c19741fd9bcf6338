"""Turning a response body into something comparable.

JSON bodies are parsed with msgspec, which keeps integers of any size exact
(orjson, a little faster, reads an integer past 64 bits as a float, and finding
such integers first cost more than it saved). msgspec refuses NaN, Infinity and
numbers past a double's range, so a body it refuses is parsed again with the
standard library before it is called not JSON. A body that is not JSON is
compared as text (whitespace folded unless the rules say `exact`) or, when it is
not UTF-8 or its content type says binary, by SHA-256 digest.

Hostile or odd bodies, decided once here so every path agrees:

- Invalid UTF-8 (including UTF-8-encoded surrogates) is never JSON and never
  text: the body is known by its digest (`binary`). Against a JSON body that is
  `body_unparseable`; against other bytes, equal digests match and different
  ones are one `value_changed` at the root.
- `NaN`, `Infinity`, `-Infinity` are not JSON (RFC 8259), but Python backends
  emit them by default, so they are read by value: NaN equals NaN, and a NaN
  meeting `null` or a number is a difference at its path.
- Duplicate member names: the last one wins, as in msgspec, the standard library,
  Go's encoding/json and JavaScript's JSON.parse, so the document compared is the
  one clients of either backend would see.
- A string escape holding a lone surrogate (``"\\ud800"``) parses, but no UTF-8
  store or encoder can keep it: such a body counts as not JSON.
- Nesting deeper than the parsers' limit (about a thousand levels) is not JSON
  here: both parsers refuse it without exhausting the stack, so the body is
  compared as text (`body_unparseable` against a JSON side).
- Size is bounded upstream: the stream codec keeps a body past its limit as a
  digest, which `compare` judges as `too_large`. A body passed here directly is
  parsed whatever its size (cost roughly linear in it).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from comparator.rules import WhitespaceMode

BodyForm = Literal["json", "text", "binary", "empty", "unparseable"]
"""What a body turned out to be: a JSON document; text; bytes known only by
digest; nothing; or text that was declared JSON but does not parse."""

_decode = msgspec.json.Decoder().decode
# A \u escape of a UTF-16 surrogate (D800-DFFF), in either case.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
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
    """(True, document) when `data` is JSON, else (False, None); never raises.

    See the module docstring for NaN, duplicate names, surrogates and depth.
    """
    try:
        return True, _decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError):
        pass
    try:
        # Decoded strictly first: given bytes, the standard library would
        # accept UTF-8-encoded surrogates ("surrogatepass").
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return False, None
    if _SURROGATE_ESCAPE.search(data) is not None and not _storable(doc):
        return False, None
    return True, doc


def _storable(doc: Any) -> bool:
    """Whether every string in `doc` is encodable as UTF-8 (no lone surrogates)."""
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


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
