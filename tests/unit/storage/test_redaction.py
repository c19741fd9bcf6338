"""Redaction of secret header values: keyed, deterministic, path-selective."""

from __future__ import annotations

import re

import pytest

from comparator import Difference, Kind
from storage.redaction import DEFAULT_REDACTION_KEY, MARKER_PREFIX, Redactor, is_secret_path


def header(path: str, primary: str | None, candidate: str | None = None) -> Difference:
    return Difference(path, Kind.HEADER, primary, candidate)


@pytest.mark.parametrize(
    "path",
    [
        "header:authorization",
        "header:Authorization",
        "HEADER:PROXY-AUTHORIZATION",
        "header:cookie",
        "header:Set-Cookie",
    ],
)
def test_secret_paths_any_case(path: str) -> None:
    assert is_secret_path(path)
    marker, _ = Redactor(b"k").values(header(path, "Bearer abc"))
    assert re.fullmatch(re.escape(MARKER_PREFIX) + "[0-9a-f]{16}", marker)


@pytest.mark.parametrize(
    "path", ["header:x-authorization", "/authorization", "header:cookies", "status", ""]
)
def test_other_paths_pass_through(path: str) -> None:
    assert not is_secret_path(path)
    kept = Redactor(b"k").values(header(path, "Bearer abc", "Bearer xyz"))
    assert kept == ("Bearer abc", "Bearer xyz")


def test_equal_values_equal_markers_under_one_key_only() -> None:
    one, other = Redactor(b"key-one"), Redactor("key-two")
    assert one.marker("s=1") == one.marker("s=1")
    assert one.marker("s=1") != one.marker("s=2")
    assert one.marker("s=1") != other.marker("s=1")
    assert Redactor().marker("s=1") == Redactor(DEFAULT_REDACTION_KEY).marker("s=1")


def test_absent_value_stays_absent() -> None:
    primary, candidate = Redactor(b"k").values(header("header:cookie", None, "s=1"))
    assert primary is None
    assert candidate == Redactor(b"k").marker("s=1")


def test_structured_values_hash_canonically() -> None:
    redactor = Redactor(b"k")
    assert redactor.marker({"a": 1, "b": 2}) == redactor.marker({"b": 2, "a": 1})


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Redactor(b"")


def test_a_difference_marked_redact_is_redacted_whatever_its_path() -> None:
    redactor = Redactor(b"k")
    marked = Difference("/payment/card", Kind.VALUE_CHANGED, "4111", "4242", redact=True)
    assert redactor.values(marked) == (redactor.marker("4111"), redactor.marker("4242"))
    plain = Difference("/payment/card", Kind.VALUE_CHANGED, "4111", "4242")
    assert redactor.values(plain) == ("4111", "4242")
