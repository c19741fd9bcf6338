"""Database URLs made safe to print, without loading SQLAlchemy.

`shadowdiff status` shows the database it is configured for and never opens
it: hiding the password is all it needs of the URL, and importing SQLAlchemy
for that would be most of the command's start-up time.
"""

from __future__ import annotations

import re

# SQLAlchemy's own grammar for what precedes the host (sqlalchemy.engine.url):
# the password runs from the first `:` after the user name to the next `@`, so
# this hides exactly what the engine would take for the password.
_URL = re.compile(
    r"(?P<scheme>[\w+]+://)(?:(?P<user>[^:/]*)(?::(?P<password>[^@]*))?@)?(?P<rest>.*)", re.S
)

UNPARSEABLE = "<unparseable database URL>"


def hide_password(url: str) -> str:
    """`url` with its password as `***`, as SQLAlchemy renders it; a placeholder for non-URLs."""
    parsed = _URL.fullmatch(url.strip())
    if parsed is None:
        return UNPARSEABLE
    scheme, user, rest = parsed["scheme"], parsed["user"], parsed["rest"]
    if user is None:
        return scheme + rest
    return f"{scheme}{user}{'' if parsed['password'] is None else ':***'}@{rest}"
