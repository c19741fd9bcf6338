"""Webhook configuration and the three payloads, without a network."""

from __future__ import annotations

import json

import pytest

from alerting import RetryPolicy, alertmanager, generic, parse_webhook, parse_webhooks, slack
from tests.unit.alerting.samples import spike_alert


def test_webhooks_are_read_as_format_equals_url() -> None:
    hooks = parse_webhooks(
        "slack=https://hooks.slack.com/services/T/B/secret, alertmanager=http://am:9093\n"
        "https://ops.example.com/hook"
    )
    assert [(h.format, h.url) for h in hooks] == [
        ("slack", "https://hooks.slack.com/services/T/B/secret"),
        ("alertmanager", "http://am:9093/api/v2/alerts"),
        ("json", "https://ops.example.com/hook"),
    ]
    # Alertmanager forgets firing alerts that are not re-sent; the others get each state once.
    assert [h.repeat_firing_s for h in hooks] == [None, 60.0, None]
    # A Slack URL's path is its secret: names show scheme and host only.
    assert hooks[0].name == "slack:https://hooks.slack.com"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teams=https://x", "unknown webhook format 'teams'"),
        ("json=ftp://x/y", "not an http"),
        ("slack=hooks.slack.com/x", "not an http"),
    ],
)
def test_a_bad_webhook_says_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_webhook(text)


def test_backoff_doubles_up_to_its_ceiling() -> None:
    policy = RetryPolicy(attempts=5, initial_s=0.5, max_s=3.0)
    assert [policy.delay(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=0)


def test_every_payload_carries_the_stable_id_and_is_json() -> None:
    alert = spike_alert()
    body = generic(alert)
    assert body["dedupe_key"] == f"{alert.id}:firing"
    assert body["alert"]["id"] == alert.id and body["alert"]["rule"] == "spike"
    assert body["alert"]["observed"]["rate"] == 0.2
    assert body["alert"]["window_start"] == "2026-03-02T09:00:00+00:00"
    message = slack(alert)
    assert "GET /users/{id}" in message["text"] and "20.0%" in message["text"]
    assert alert.id in message["blocks"][0]["text"]["text"]
    (am,) = alertmanager(alert)
    assert am["labels"]["alert_id"] == alert.id and am["labels"]["alertname"] == "ShadowdiffSpike"
    assert am["startsAt"] == "2026-03-02T09:05:00+00:00" and "endsAt" not in am
    for document in (body, message, [am]):
        json.dumps(document)


def test_a_resolved_alert_ends_in_alertmanager() -> None:
    (am,) = alertmanager(spike_alert(state="resolved"))
    assert am["endsAt"] == "2026-03-02T09:40:00+00:00"
    assert slack(spike_alert(state="resolved"))["text"].startswith(":white_check_mark:")
