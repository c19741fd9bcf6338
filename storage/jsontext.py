"""Difference values as JSON text and back, whatever they hold.

orjson is fast but refuses integers past 64 bits and nesting past 255 levels,
both of which a response body may hold (the comparator keeps integers exact).
Those values are written by the standard library instead, so one odd body can
never stop the writer. A value nested too deeply even for that (the body parser
admits about a thousand levels) is stored as a note saying so. Reading back,
msgspec keeps integers exact where orjson would turn them into floats.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import msgspec
import orjson

TOO_DEEP = "(nested too deeply to store)"

_decode = msgspec.json.Decoder().decode


def json_text(value: Any, *, sort_keys: bool = False, indent: bool = False) -> bytes:
    """`value` as JSON text, compact unless `indent`; `sort_keys` gives one text per value."""
    option = (orjson.OPT_SORT_KEYS if sort_keys else 0) | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        return orjson.dumps(value, default=_plain, option=option)
    except TypeError:  # orjson.JSONEncodeError included
        pass
    try:
        text = json.dumps(
            value,
            default=_plain,
            sort_keys=sort_keys,
            indent=2 if indent else None,
            separators=(",", ": ") if indent else (",", ":"),
            ensure_ascii=False,
        )
    except RecursionError:
        return orjson.dumps(TOO_DEEP)
    return text.encode()


def json_value(text: str | bytes) -> Any:
    """The value `json_text` wrote, integers of any size exact (NaN, as the
    standard library writes it, included)."""
    try:
        return _decode(text)
    except msgspec.DecodeError:
        return json.loads(text)


def _plain(value: object) -> str:
    """Text for what JSON cannot hold; datetimes as orjson writes them (ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime) else str(value)
