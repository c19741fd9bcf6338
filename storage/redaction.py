"""Keeping secrets out of the store.

Difference values at credential-bearing header paths are replaced by a keyed
hash before they are written: two equal secrets still store equal markers (so
"the candidate drops the session cookie" stays visible) while the secret itself,
or a dictionary attack on it without the key, is not recoverable.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

DEFAULT_REDACTION_KEY = b"shadowdiff-default-redaction-key"
"""A placeholder key for development. Set SHADOWDIFF_REDACTION_KEY in production:
with the default, anyone can recompute markers for guessed secrets."""

SECRET_PATHS: frozenset[str] = frozenset(
    {
        "header:authorization",
        "header:proxy-authorization",
        "header:cookie",
        "header:set-cookie",
    }
)
"""Difference paths (compared case-insensitively) whose values never reach storage."""

MARKER_PREFIX = "redacted:hmac-sha256:"


def is_secret_path(path: str) -> bool:
    return path.lower() in SECRET_PATHS


class Redactor:
    """Replaces values at secret paths with `redacted:hmac-sha256:<16 hex>`.

    The hash is HMAC-SHA256 with `key` over the value's canonical JSON, so equal
    values give equal markers under the same key. None (the side has no value)
    stays None.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes | str = DEFAULT_REDACTION_KEY) -> None:
        self._key = key.encode() if isinstance(key, str) else key
        if not self._key:
            raise ValueError("the redaction key must not be empty")

    def marker(self, value: Any) -> str:
        canonical = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
        digest = hmac.new(self._key, canonical, hashlib.sha256).hexdigest()
        return MARKER_PREFIX + digest[:16]

    def value(self, path: str, value: Any) -> Any:
        """`value` itself, or its marker when `path` is a secret path."""
        if value is None or not is_secret_path(path):
            return value
        return self.marker(value)
