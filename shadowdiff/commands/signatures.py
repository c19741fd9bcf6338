"""`shadowdiff signatures`: the distinct problems over a window, most frequent first."""

from __future__ import annotations

import click
import orjson

from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.window import window, window_options
from storage.models import SIGNATURE_STATUS_VALUES
from storage.signature_report import SignatureReport, signature_report


def format_report(report: SignatureReport) -> str:
    """One block per signature: count, status, when seen, summary, examples."""
    if not report.signatures:
        lines = ["no signatures for this run and time range", *report.pruned.notes()]
        return "\n".join(lines)
    width = max(len(str(s.count)) for s in report.signatures)
    lines = []
    for s in report.signatures:
        lines.append(f"{s.count:>{width}}  {s.signature}  [{s.status}]  {s.summary}")
        lines.append(
            f"{'':>{width}}  first seen {s.first_seen:%Y-%m-%d %H:%M:%S}, "
            f"last seen {s.last_seen:%Y-%m-%d %H:%M:%S}; e.g. {' '.join(s.examples) or '-'}"
        )
    notes = report.pruned.notes()
    if notes:
        lines.extend(["", *notes])
    return "\n".join(lines)


@click.command("signatures")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@window_options()
@click.option(
    "--status",
    type=click.Choice(SIGNATURE_STATUS_VALUES),
    default=None,
    help="Only signatures in this triage state.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="At most this many, most first."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(
    endpoint: str | None,
    since: str | None,
    until: str | None,
    run_id: str,
    status: str | None,
    limit: int | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """The distinct problems: a million mismatching requests as a few signatures.

    A signature names an endpoint's problem: the verdict and the set of differing
    paths (array indices folded) and kinds. Counts are over the window (all time
    without --since/--until); first and last seen are all time. `shadowdiff show
    REQUEST_ID` shows an example in full.
    """
    start, end = window(since, until)
    engine = open_store(db_url, existing=True)
    with store_errors():
        report = signature_report(
            engine,
            endpoint=endpoint,
            since=start,
            until=end,
            status=status,
            run_id=run_id,
            limit=limit,
        )
    if as_json:
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_report(report))
