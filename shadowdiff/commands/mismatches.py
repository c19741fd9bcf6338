"""`shadowdiff mismatches`: per-endpoint mismatch table over a time range."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import orjson

import storage
from shadowdiff.commands.db import db_option, open_store, store_errors
from storage.timespec import TimeSpecError, parse_instant


def parse_time_flag(spec: str | None, now: datetime, flag: str) -> datetime | None:
    if spec is None:
        return None
    try:
        return parse_instant(spec, now=now)
    except TimeSpecError as error:
        raise click.BadParameter(str(error), param_hint=flag) from error


def format_report(report: storage.MismatchReport) -> str:
    """The report as an aligned text table, one endpoint per row, then its top paths."""
    if not report.endpoints:
        return "no comparisons stored for this run and time range"
    header = ("endpoint", "total", "mismatch", "rate", "orphans", "errors", "examples")
    rows = [header]
    for e in report.endpoints:
        errors = sum(n for v, n in e.verdicts.items() if v.startswith("error_"))
        rows.append(
            (
                e.endpoint,
                str(e.total),
                str(e.mismatches),
                f"{e.mismatch_rate:.1%}",
                str(e.orphans),
                str(errors),
                " ".join(e.examples),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {1, 2, 3, 4, 5}
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    paths = [(e.endpoint, p) for e in report.endpoints for p in e.top_paths]
    if paths:
        lines.append("")
        lines.append("top differing paths:")
        w_name = max(len(name) for name, _ in paths)
        w_count = max(len(str(p.count)) for _, p in paths)
        w_kind = max(len(p.kind) for _, p in paths)
        for name, p in paths:
            lines.append(f"  {name:<{w_name}}  {p.count:>{w_count}}  {p.kind:<{w_kind}}  {p.path}")
    return "\n".join(lines)


@click.command("mismatches")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@click.option(
    "--since", default=None, help="Start: 15m, 1h, 7d (ago) or ISO-8601 (UTC if no offset)."
)
@click.option("--until", default=None, help="End (exclusive), same forms as --since.")
@click.option("--run", "run_id", default="live", show_default=True, help="Run to report on.")
@click.option(
    "--top",
    "top_paths",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Top paths per endpoint.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(
    endpoint: str | None,
    since: str | None,
    until: str | None,
    run_id: str,
    top_paths: int,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Mismatch rates per endpoint, with the most frequent differing paths.

    Endpoints with the most mismatches come first. `mismatch` counts pairs that
    differ; errors and orphans (one side never arrived) are counted apart.
    """
    now = datetime.now(UTC)
    start, end = parse_time_flag(since, now, "--since"), parse_time_flag(until, now, "--until")
    if start is not None and end is not None and end <= start:
        raise click.BadParameter(f"{until!r} is not after --since {since!r}", param_hint="--until")
    engine = open_store(db_url, existing=True)
    with store_errors():
        report = storage.mismatch_report(
            engine, endpoint=endpoint, since=start, until=end, run_id=run_id, top_paths=top_paths
        )
    if as_json:
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_report(report))
