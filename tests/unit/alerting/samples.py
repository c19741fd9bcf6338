"""Alerts to deliver in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analysis import Alert, AlertState, Sample, alert_id

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def spike_alert(endpoint: str = "GET /users/{id}", state: AlertState = "firing") -> Alert:
    start = T0
    return Alert(
        id=alert_id("spike", endpoint, start),
        rule="spike",
        endpoint=endpoint,
        state=state,
        window_start=start,
        window_end=start + timedelta(minutes=5),
        opened_at=start + timedelta(minutes=5),
        resolved_at=start + timedelta(minutes=40) if state == "resolved" else None,
        observed=Sample(count=250, total=1250, rate=0.2, low=0.178, high=0.223),
        baseline=Sample(count=7200, total=360000, rate=0.02, low=0.0195, high=0.0205),
    )
