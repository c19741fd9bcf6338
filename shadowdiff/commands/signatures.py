"""`shadowdiff signatures`: the distinct problems over a window, most frequent first,
and their triage (`signatures mark`, `signatures history`)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import orjson

from shadowdiff.closest import note_unknown_endpoint
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.noise_option import noise_option, settings_thresholds
from shadowdiff.window import window, window_options
from storage import triage
from storage.models import SHOWN_STATUS_VALUES, SIGNATURE_STATUS_VALUES
from storage.noise_filter import NoiseFilter
from storage.signature_report import SignatureReport, signature_report


def format_report(report: SignatureReport) -> str:
    """One block per signature: count, status, when seen, summary, examples."""
    if not report.signatures:
        lines = ["no signatures for this run and time range", *report.pruned.notes()]
        return "\n".join(lines)
    width = max(len(str(s.count)) for s in report.signatures)
    lines = []
    for s in report.signatures:
        noise = "  (noise)" if s.noise else ""
        lines.append(f"{s.count:>{width}}  {s.signature}  [{s.status}]{noise}  {s.summary}")
        lines.append(
            f"{'':>{width}}  first seen {s.first_seen:%Y-%m-%d %H:%M:%S}, "
            f"last seen {s.last_seen:%Y-%m-%d %H:%M:%S}; e.g. {' '.join(s.examples) or '-'}"
        )
    notes = report.pruned.notes()
    if notes:
        lines.extend(["", *notes])
    return "\n".join(lines)


@click.group("signatures", invoke_without_command=True)
@click.option("--endpoint", default=None, help="Only this endpoint.")
@window_options()
@click.option(
    "--status",
    type=click.Choice(SHOWN_STATUS_VALUES),
    default=None,
    help="Only signatures in this state: new is the triage queue; regressed, the fixed "
    "ones seen again.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="At most this many, most first."
)
@noise_option("Signatures")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
@click.pass_context
def command(
    ctx: click.Context,
    endpoint: str | None,
    since: str | None,
    until: str | None,
    run_id: str,
    status: str | None,
    limit: int | None,
    noise: NoiseFilter,
    as_json: bool,
    db_url: str | None,
) -> None:
    """The distinct problems: a million mismatching requests as a few signatures.

    A signature names an endpoint's problem: the verdict and the set of differing
    paths (array indices folded) and kinds. Counts are over the window (all time
    without --since/--until); first and last seen are all time. `shadowdiff show
    REQUEST_ID` shows an example in full.

    Triage: `shadowdiff signatures mark SIG expected|fixed|new`. Expected
    problems are still counted but leave readiness alone; a fixed one seen
    again in traffic after the mark shows as regressed.

    With a secondary (a second copy of the old backend, `side: secondary`), a
    signature whose every path differs between primary and secondary about as
    often as with the candidate is noise; thresholds: NOISE_RELATIVE_THRESHOLD,
    NOISE_ABSOLUTE_THRESHOLD.
    """
    if ctx.invoked_subcommand is not None:
        return
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
            noise=noise,
            thresholds=settings_thresholds,
        )
    if as_json:
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_report(report))
    if not report.signatures:
        with store_errors():
            note_unknown_endpoint(engine, run_id, endpoint)


def _or_group(ctx: click.Context, name: str, value: str | None) -> str | None:
    """An option given to the subcommand, or else to `signatures` itself (`--db`, `--endpoint`)."""
    given = ctx.parent.params.get(name) if ctx.parent is not None else None
    return value if value is not None else given


@command.command("mark")
@click.argument("signature")
@click.argument("status", type=click.Choice(SIGNATURE_STATUS_VALUES))
@click.option(
    "--endpoint", default=None, help="Only on this endpoint; default: every one it was seen on."
)
@click.option("--note", default=None, help="Why: kept with the mark in the history.")
@db_option
@click.pass_context
def mark(
    ctx: click.Context,
    signature: str,
    status: str,
    endpoint: str | None,
    note: str | None,
    db_url: str | None,
) -> None:
    """Triage SIGNATURE (or a unique prefix of it): expected, fixed or new.

    expected: the candidate is right to differ; still counted, left out of
    readiness. fixed: the bug is fixed; seen again in traffic after now, it
    shows as regressed. new: back in the triage queue. Every mark is kept
    (`shadowdiff signatures history`).
    """
    engine = open_store(_or_group(ctx, "db_url", db_url), existing=True)
    with store_errors():
        made = triage.mark(
            engine,
            signature,
            status,
            now=datetime.now(UTC),
            endpoint=_or_group(ctx, "endpoint", endpoint),
            note=note,
        )
    for m in made:
        click.echo(f"{m.signature}  {m.endpoint}: {m.status}" + (f" ({m.note})" if m.note else ""))


@command.command("history")
@click.argument("signature", required=False)
@click.option("--endpoint", default=None, help="Only this endpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
@click.pass_context
def history(
    ctx: click.Context,
    signature: str | None,
    endpoint: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Every triage mark, oldest first (of SIGNATURE, or a prefix of it, when given)."""
    engine = open_store(_or_group(ctx, "db_url", db_url), existing=True)
    with store_errors():
        marks = triage.history(
            engine, signature=signature, endpoint=_or_group(ctx, "endpoint", endpoint)
        )
    if as_json:
        payload = {"marks": [m.to_json() for m in marks]}
        click.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        return
    if not marks:
        click.echo("no marks yet: `shadowdiff signatures mark SIG expected|fixed|new` makes one")
    for m in marks:
        line = f"{m.marked_at:%Y-%m-%d %H:%M:%S}  {m.signature}  {m.endpoint}: {m.status}"
        click.echo(line + (f"  ({m.note})" if m.note else ""))
