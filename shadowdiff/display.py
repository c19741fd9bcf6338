"""How a difference reads in the commands' text output, the same in every command.

A path `""` is the whole body (an RFC 6901 pointer to the root): it prints as
`(body)`, never as an empty cell. A value is printed as JSON, so a JSON null is
`null`; only the side that has no value at all (the candidate of a
`field_missing`, the primary of a `field_added`) prints as `(absent)`. JSON
output keeps the pointer and the null as they are.
"""

from __future__ import annotations

from typing import Any, Literal

from storage.jsontext import json_text

BODY_ROOT = "(body)"
ABSENT = "(absent)"

Side = Literal["primary", "candidate"]
"""Which response a value came from."""

_ABSENT_SIDE = {"field_missing": "candidate", "field_added": "primary"}


def path_text(path: str) -> str:
    """`path` as printed: the body's root named, every other path as it is."""
    return path or BODY_ROOT


def value_text(value: Any, kind: str, side: Side) -> str:
    """One side's value of a difference of `kind`: JSON text, or `(absent)`."""
    if value is None and _ABSENT_SIDE.get(kind) == side:
        return ABSENT
    return json_text(value).decode()
