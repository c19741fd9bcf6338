"""Alert rules from a mapping: defaults, overrides per endpoint, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from analysis import AlertRules, AlertRulesError, RuleBook, SpikeRule, parse_alert_rules, wilson


def test_no_rules_means_the_defaults() -> None:
    assert parse_alert_rules(None) == RuleBook()
    assert parse_alert_rules({}).for_endpoint("GET /a") == AlertRules()


def test_an_endpoint_overrides_the_default_field_by_field() -> None:
    book = parse_alert_rules(
        {
            "default": {"grace_s": 60, "spike": {"factor": 3, "margin": 0.1}},
            "endpoints": {
                "GET /users/{id}": {"spike": {"min_requests": 200}},
                "POST /exercises/*": {"orphans": {"enabled": False}},
                "POST /exercises/{id}/attempt": {"spike": {"baseline": "ewma"}},
            },
        }
    )
    assert book.default.grace_s == 60 and book.default.spike.factor == 3.0
    users = book.for_endpoint("GET /users/{id}").spike
    assert (users.factor, users.margin, users.min_requests) == (3.0, 0.1, 200)
    # An exact name wins over an earlier glob; a glob matches the rest.
    assert book.for_endpoint("POST /exercises/{id}/attempt").spike.baseline == "ewma"
    assert book.for_endpoint("POST /exercises/{id}/attempt").orphans.enabled
    assert not book.for_endpoint("POST /exercises/{id}/hint").orphans.enabled
    assert book.for_endpoint("GET /other") == book.default


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"defaults": {}}, r"alerts: unknown key defaults \(known: default, endpoints\)"),
        ({"default": {"spike": {"factr": 2}}}, r"alerts.default.spike: unknown key factr"),
        (
            {"default": {"spike": {"factor": "high"}}},
            r"spike.factor must be a number",
        ),
        ({"default": {"spike": {"window_minutes": 2.5}}}, r"window_minutes must be a whole number"),
        ({"default": {"spike": {"enabled": "yes"}}}, r"enabled must be true or false"),
        ({"default": {"spike": {"baseline": "median"}}}, r"baseline must be one of window, ewma"),
        (
            {"default": {"spike": {"factor": 0}}},
            r"default.spike: spike.factor must be positive",
        ),
        ({"default": {"orphans": {"threshold": 5}}}, r"threshold must be between 0 and 1"),
        ({"default": {"grace_s": -1}}, r"grace_s must not be negative"),
        ({"endpoints": ["GET /a"]}, r"alerts.endpoints must map endpoint names"),
        (
            {"endpoints": {"GET /a": {"spike": 3}}},
            r"endpoints.GET /a.spike must be a mapping",
        ),
    ],
)
def test_a_malformed_rule_names_its_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(AlertRulesError, match=message):
        parse_alert_rules(data)


def test_rules_refuse_nonsense_when_built_in_code_too() -> None:
    with pytest.raises(ValueError, match="confidence"):
        SpikeRule(confidence=1.5)


def test_wilson_bounds_are_honest_at_small_counts() -> None:
    low, high = wilson(3, 4, 1.96)
    assert 0.30 < low < 0.31 and 0.95 < high < 0.96  # 3 of 4: hardly certain
    low, high = wilson(2000, 100_000, 1.96)
    assert 0.0191 < low < 0.02 < high < 0.0209
    assert wilson(0, 0, 1.96) == (0.0, 1.0)
    assert wilson(0, 50, 1.96)[0] == 0.0 and wilson(50, 50, 1.96)[1] == 1.0
