"""Difference values as JSON text, whatever they hold.

orjson is fast but refuses integers past 64 bits and nesting past 255 levels,
both of which a response body may hold (the comparator keeps integers exact).
Those values are written by the standard library instead, so one odd body can
never stop the writer. A value nested too deeply even for that (the body parser
admits about a thousand levels) is stored as a note saying so.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

TOO_DEEP = "(nested too deeply to store)"


def json_text(value: Any, *, sort_keys: bool = False) -> bytes:
    """`value` as compact JSON text; `sort_keys` gives one text per value (for hashing)."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except TypeError:  # orjson.JSONEncodeError included
        pass
    try:
        text = json.dumps(
            value, default=str, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False
        )
    except RecursionError:
        return orjson.dumps(TOO_DEEP)
    return text.encode()
