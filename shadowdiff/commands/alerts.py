"""`shadowdiff alerts`: the alerts the built-in judge raised, newest first."""

from __future__ import annotations

import click
import orjson

from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.window import window, window_options
from storage.alert_store import StoredAlert, list_alerts


def _rate(sample: object) -> str:
    if not isinstance(sample, dict):
        return "-"
    return f"{sample['rate']:.1%} of {sample['total']:g}"


def format_alerts(found: list[StoredAlert]) -> str:
    """One block per alert: state, rule, endpoint, when, the numbers, examples."""
    if not found:
        return "no alerts for this run and time range"
    lines = []
    for alert in found:
        doc = alert.document
        when = f"opened {alert.opened_at:%Y-%m-%d %H:%M}"
        if alert.resolved_at is not None:
            when += f", resolved {alert.resolved_at:%Y-%m-%d %H:%M}"
        lines.append(f"[{alert.state}] {alert.rule} on {alert.endpoint}: {when}  ({alert.id})")
        if alert.rule == "new_signature":
            lines.append(f"  {doc.get('summary') or doc.get('signature')}")
        else:
            numbers = f"  observed {_rate(doc.get('observed'))}"
            if doc.get("baseline"):
                numbers += f", baseline {_rate(doc.get('baseline'))}"
            lines.append(numbers)
        if doc.get("examples"):
            lines.append(f"  e.g. {' '.join(doc['examples'])}")
    return "\n".join(lines)


@click.command("alerts")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@window_options()
@click.option(
    "--state", type=click.Choice(["firing", "resolved"]), default=None, help="Only this state."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(
    endpoint: str | None,
    since: str | None,
    until: str | None,
    run_id: str,
    state: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Alerts on divergence: mismatch spikes, candidate errors, orphans, new signatures.

    The worker's leader judges the per-minute rollups as traffic is stored
    (`demo` judges once, at its end), in event time; --since and --until select
    by when an alert opened, in the traffic's own time. Each alert has a stable
    ID, the numbers that made it fire and example request IDs
    (`shadowdiff show ID`). The rules live in the rules file's `alerts:` section.
    """
    start, end = window(since, until)
    engine = open_store(db_url, existing=True)
    with store_errors():
        found = list_alerts(
            engine, run_id=run_id, since=start, until=end, state=state, endpoint=endpoint
        )
    if as_json:
        body = {"run": run_id, "alerts": [alert.to_json() for alert in found]}
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_alerts(found))
