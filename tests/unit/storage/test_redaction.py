"""Redaction of secret header values: keyed, deterministic, path-selective."""

from __future__ import annotations

import re

import pytest

from storage.redaction import DEFAULT_REDACTION_KEY, MARKER_PREFIX, Redactor, is_secret_path


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
    marker = Redactor(b"k").value(path, "Bearer abc")
    assert re.fullmatch(re.escape(MARKER_PREFIX) + "[0-9a-f]{16}", marker)


@pytest.mark.parametrize(
    "path", ["header:x-authorization", "/authorization", "header:cookies", "status", ""]
)
def test_other_paths_pass_through(path: str) -> None:
    assert not is_secret_path(path)
    assert Redactor(b"k").value(path, "Bearer abc") == "Bearer abc"


def test_equal_values_equal_markers_under_one_key_only() -> None:
    one, other = Redactor(b"key-one"), Redactor("key-two")
    assert one.marker("s=1") == one.marker("s=1")
    assert one.marker("s=1") != one.marker("s=2")
    assert one.marker("s=1") != other.marker("s=1")
    assert Redactor().marker("s=1") == Redactor(DEFAULT_REDACTION_KEY).marker("s=1")


def test_absent_value_stays_absent() -> None:
    assert Redactor(b"k").value("header:cookie", None) is None


def test_structured_values_hash_canonically() -> None:
    redactor = Redactor(b"k")
    assert redactor.marker({"a": 1, "b": 2}) == redactor.marker({"b": 2, "a": 1})


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Redactor(b"")
