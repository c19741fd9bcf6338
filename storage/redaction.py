"""Keeping secrets out of the store.

Difference values at credential-bearing header paths, and at body paths a
`redact` rule covers (the comparator marks those differences), are replaced by a
keyed hash before they are written or published: two equal secrets still give
equal markers (so "the candidate drops the session cookie" stays visible) while
the secret itself, or a dictionary attack on it without the key, is not
recoverable.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from typing import Any

from comparator import Difference, Result
from storage.jsontext import json_text

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


def is_secret(difference: Difference) -> bool:
    """Whether `difference`'s values must be kept only as markers."""
    return difference.redact or is_secret_path(difference.path)


class Redactor:
    """Replaces secret difference values with `redacted:hmac-sha256:<16 hex>`.

    A difference is secret at a credential header's path or when the comparator
    marked it `redact`.

    The hash is HMAC-SHA256 with `key` over the value's canonical JSON, so equal
    values give equal markers under the same key. None (the side has no value)
    stays None.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes | str | None = None) -> None:
        if key is None:
            key = DEFAULT_REDACTION_KEY
        self._key = key.encode() if isinstance(key, str) else key
        if not self._key:
            raise ValueError("the redaction key must not be empty")

    def marker(self, value: Any) -> str:
        canonical = json_text(value, sort_keys=True)
        digest = hmac.new(self._key, canonical, hashlib.sha256).hexdigest()
        return MARKER_PREFIX + digest[:16]

    def values(self, difference: Difference) -> tuple[Any, Any]:
        """(primary, candidate) as they may be kept: markers for a secret."""
        if not is_secret(difference):
            return difference.primary, difference.candidate
        return self._marked(difference.primary), self._marked(difference.candidate)

    def result(self, result: Result) -> Result:
        """`result` with the values of its secret differences replaced by markers."""
        differences = result.comparison.differences
        if not any(map(is_secret, differences)):
            return result
        kept = tuple(
            replace(d, primary=self._marked(d.primary), candidate=self._marked(d.candidate))
            if is_secret(d)
            else d
            for d in differences
        )
        return replace(result, comparison=replace(result.comparison, differences=kept))

    def _marked(self, value: Any) -> Any:
        return None if value is None else self.marker(value)
