"""Alerts as the three payloads webhooks take: shadowdiff JSON, Slack, Alertmanager.

Pure functions of an alert; the stable ID travels in each as the dedupe key
(`dedupe_key` in JSON, `alert_id` label for Alertmanager, which deduplicates
alerts by their label set, and in the Slack text).
"""

from __future__ import annotations

from typing import Any

from alerting.webhooks import Format
from analysis import Alert

ALERT_NAMES = {
    "spike": "ShadowdiffSpike",
    "candidate_errors": "ShadowdiffCandidateErrors",
    "orphans": "ShadowdiffCandidateOrphans",
    "new_signature": "ShadowdiffNewSignature",
}
SEVERITY = {
    "spike": "critical",
    "candidate_errors": "warning",
    "orphans": "warning",
    "new_signature": "warning",
}


def payload(alert: Alert, format: Format) -> Any:
    """The JSON-ready body of `alert` in `format`."""
    if format == "slack":
        return slack(alert)
    if format == "alertmanager":
        return alertmanager(alert)
    return generic(alert)


def generic(alert: Alert) -> dict[str, Any]:
    return {
        "version": 1,
        "dedupe_key": alert.dedupe_key,
        "text": alert.headline(),
        "alert": alert.to_json(),
    }


def _details(alert: Alert) -> str:
    lines = [f"window {alert.window_start.isoformat()} to {alert.window_end.isoformat()}"]
    if alert.resolved_at is not None:
        lines.append(f"resolved at {alert.resolved_at.isoformat()}")
    if alert.observed is not None:
        o = alert.observed
        lines.append(f"observed {o.count:g} of {o.total:g} ({o.rate:.2%})")
    if alert.baseline is not None:
        b = alert.baseline
        lines.append(f"baseline {b.count:g} of {b.total:g} ({b.rate:.2%})")
    if alert.threshold is not None:
        lines.append(f"threshold {alert.threshold:.2%}")
    if alert.signature:
        lines.append(f"signature {alert.signature}")
    if alert.examples:
        lines.append("examples " + ", ".join(alert.examples))
    lines.append(f"alert {alert.id}")
    return "\n".join(lines)


def slack(alert: Alert) -> dict[str, Any]:
    """A Slack incoming-webhook message: a `text` fallback and one section block."""
    icon = ":white_check_mark:" if alert.state == "resolved" else ":rotating_light:"
    text = f"{icon} {alert.headline()}"
    return {
        "text": text,
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{text}*\n```{_details(alert)}```"},
            }
        ],
    }


def alertmanager(alert: Alert) -> list[dict[str, Any]]:
    """Alertmanager's `POST /api/v2/alerts` body: a list of one alert.

    `startsAt` is when it opened (event time); `endsAt`, set once resolved,
    tells Alertmanager it is over.
    """
    body: dict[str, Any] = {
        "labels": {
            "alertname": ALERT_NAMES[alert.rule],
            "severity": SEVERITY[alert.rule],
            "endpoint": alert.endpoint,
            "rule": alert.rule,
            "alert_id": alert.id,
            "source": "shadowdiff",
        },
        "annotations": {"summary": alert.headline(), "description": _details(alert)},
        "startsAt": alert.opened_at.isoformat(),
    }
    if alert.resolved_at is not None:
        body["endsAt"] = alert.resolved_at.isoformat()
    return [body]
