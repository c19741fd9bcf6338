"""`shadowdiff mismatches`: per-endpoint mismatch table over a time range."""

from __future__ import annotations

import click
import orjson

import storage
from shadowdiff.closest import note_unknown_endpoint
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.display import path_text
from shadowdiff.noise_option import noise_option, settings_thresholds
from shadowdiff.window import window, window_options
from storage.noise_filter import NoiseFilter


def format_report(report: storage.MismatchReport) -> str:
    """The report as an aligned text table, one endpoint per row, then its top paths."""
    if not report.endpoints:
        return "\n".join(
            ["no comparisons stored for this run and time range", *report.pruned.notes()]
        )
    # The noise column only where a secondary says what noise is: else the table is as ever.
    noise = ("noise",) if report.secondary else ()
    header = ("endpoint", "total", "mismatch", "rate", "orphans", "errors", *noise, "examples")
    rows = [header]
    for e in report.endpoints:
        errors = sum(n for v, n in e.verdicts.items() if v.startswith("error_"))
        noise_cell = ("-" if e.noise is None else str(e.noise),) if report.secondary else ()
        rows.append(
            (
                e.endpoint,
                str(e.total),
                str(e.mismatches),
                f"{e.mismatch_rate:.1%}",
                str(e.orphans),
                str(errors),
                *noise_cell,
                " ".join(e.examples),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = set(range(1, len(header) - 1))
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
            path = path_text(p.path)
            lines.append(f"  {name:<{w_name}}  {p.count:>{w_count}}  {p.kind:<{w_kind}}  {path}")
    notes = report.pruned.notes()
    if report.secondary:
        notes.insert(0, NOISE_NOTES[report.noise])
    if notes:
        lines.extend(["", *notes])
    return "\n".join(lines)


NOISE_NOTES: dict[NoiseFilter, str] = {
    "include": "noise: mismatches a secondary's baseline explains, counted in mismatch "
    "(--noise exclude leaves them out)",
    "exclude": "noise: mismatches a secondary's baseline explains, left out of mismatch, "
    "paths and examples",
    "only": "noise: only the mismatches a secondary's baseline explains",
}
"""The line under a report with a secondary: what its mismatch column counts."""


@click.command("mismatches")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@window_options()
@click.option(
    "--top",
    "top_paths",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Top paths per endpoint.",
)
@noise_option("Mismatches")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(
    endpoint: str | None,
    since: str | None,
    until: str | None,
    run_id: str,
    top_paths: int,
    noise: NoiseFilter,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Mismatch rates per endpoint, with the most frequent differing paths.

    Endpoints with the most mismatches come first. `mismatch` counts pairs that
    differ; errors and orphans (one side never arrived) are counted apart. Counts
    are per minute of event time: a bound inside a minute takes that minute whole.
    Top paths count requests per differing path, array indices shown as [*].

    With a secondary (a second copy of the old backend, `side: secondary`), a
    mismatch whose problem differs between primary and secondary about as
    often is noise, judged over the window: the noise column counts it, and
    --noise leaves it out of mismatch, paths and examples, or shows it alone.
    """
    start, end = window(since, until)
    engine = open_store(db_url, existing=True)
    with store_errors():
        report = storage.mismatch_report(
            engine,
            endpoint=endpoint,
            since=start,
            until=end,
            run_id=run_id,
            top_paths=top_paths,
            noise=noise,
            thresholds=settings_thresholds,
        )
    if as_json:
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_report(report))
    if not report.endpoints:
        with store_errors():
            note_unknown_endpoint(engine, run_id, endpoint)
