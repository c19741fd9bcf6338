"""Noise by value class, and the consistent changes that are never noise (hand-made cases)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from analysis.noise import NoiseSettings, Observed, learn_noise, template

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
N = 40


def pairs(
    values: list[tuple[Any, Any]], path: str = "/x", kind: str = "value_changed"
) -> list[Observed]:
    return [Observed(f"r{i}", path, kind, p, c) for i, (p, c) in enumerate(values)]


def only(values: list[tuple[Any, Any]], compared: int = N, **kinds: str) -> dict[str, Any] | None:
    found = learn_noise("GET /x", compared, pairs(values, **kinds))
    assert len(found) <= 1
    return found[0].rule if found else None


def test_uuids_on_both_sides_are_normalised() -> None:
    values = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(N)]
    (found,) = learn_noise("GET /x", N, pairs(values))
    assert (found.value_class, found.rule) == ("uuid", {"normalise": "uuid"})
    assert found.share == 1.0 and found.distinct == (N, N) and found.pairs == N
    assert found.to_json()["examples"][0] == {"primary": values[0][0], "candidate": values[0][1]}


def test_clocks_a_little_apart_get_a_timestamp_tolerance() -> None:
    values = [
        (
            (T0 + timedelta(seconds=i)).isoformat(),
            (T0 + timedelta(seconds=i, milliseconds=3 * i)).isoformat(),
        )
        for i in range(N)
    ]
    assert only(values) == {"normalise": "timestamp", "timestamp_tolerance": 1}


def test_tokens_get_a_pattern_both_must_match() -> None:
    values = [(f"tok_{i:04d}abcdefghijKLMN", f"tok_{i * 7:04d}zyxwvutsrqPONM") for i in range(N)]
    rule = only(values)
    assert rule is not None and set(rule) == {"ignore_if"}
    assert all(re.fullmatch(rule["ignore_if"], v) for pair in values for v in pair)
    assert re.fullmatch(rule["ignore_if"], "short") is None


def test_float_jitter_gets_a_relative_tolerance_and_counters_are_ignored() -> None:
    jitter = [(1.0 + i, (1.0 + i) * (1 + (-1) ** i * 3e-13)) for i in range(N)]
    assert only(jitter) == {"tolerance": {"relative": 1e-11}}
    counters = [(1000 + 3 * i, 5000 + 7 * i) for i in range(N)]
    assert only(counters) == {"ignore": True}


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("off by one", [(i, i + 1) for i in range(N)], "value_changed"),
        ("cents for euros", [(i + 1, (i + 1) * 100) for i in range(N)], "value_changed"),
        ("always null", [(i, None) for i in range(N)], "type_changed"),
        ("renamed", [(f"v{i}", None) for i in range(N)], "field_missing"),
        (
            "enum in other case",
            [(s, s.lower()) for s in ["ACTIVE", "PAUSED"] * (N // 2)],
            "value_changed",
        ),
        (
            "a time zone bug",
            [
                (
                    (T0 + timedelta(minutes=i)).isoformat(),
                    (T0 + timedelta(minutes=i, hours=1)).isoformat(),
                )
                for i in range(N)
            ],
            "value_changed",
        ),
        (
            "shifted by a whole second",
            [
                (
                    (T0 + timedelta(minutes=i)).isoformat(),
                    (T0 + timedelta(minutes=i, seconds=1)).isoformat(),
                )
                for i in range(N)
            ],
            "value_changed",
        ),
        (
            "a suffix added",
            [(f"item-{i:06d}-xxxxxxxx", f"item-{i:06d}-xxxxxxxx-v2") for i in range(N)],
            "value_changed",
        ),
        ("free text", [(f"hello {i}", f"bonjour {i * 3}") for i in range(N)], "value_changed"),
    ],
)
def test_consistent_changes_are_never_noise(
    name: str, values: list[tuple[Any, Any]], kind: str
) -> None:
    assert only(values, kind=kind) is None, name


def test_rare_or_thin_differences_are_not_noise() -> None:
    values = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(N)]
    assert only(values, compared=N * 3) is None  # a third of the pairs
    assert learn_noise("GET /x", 5, pairs(values[:5])) == ()  # too few pairs to say
    settings = NoiseSettings(min_share=0.3)
    assert learn_noise("GET /x", N * 3, pairs(values), settings)


def test_array_indices_fold_into_one_path() -> None:
    observed = [
        Observed(
            f"r{i}", f"/items/{i % 3}/id", "value_changed", str(uuid.uuid4()), str(uuid.uuid4())
        )
        for i in range(N)
    ]
    (found,) = learn_noise("GET /x", N, observed)
    assert found.path == "/items/[*]/id" == template("/items/12/id")
    assert template("header:etag") == "header:etag"
