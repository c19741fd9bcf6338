"""`shadowdiff timeseries`: each endpoint's mismatch rate, volume and latency over time."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
import orjson

from shadowdiff.closest import note_unknown_endpoint
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.noise_option import noise_option, settings_thresholds
from shadowdiff.window import window, window_options
from storage.noise_filter import NoiseFilter
from storage.timeseries import STEPS, Series, TimeSeries, timeseries


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


NOISE_SAID: dict[NoiseFilter, str] = {
    "include": "{} of them noise",
    "exclude": "{} noise left out",
    "only": "noise only",
}
"""What the mismatch figure holds, where a secondary's baseline says what noise is."""


def summary(series: Series, noise: NoiseFilter = "include") -> str:
    """One line of figures over the whole window, under the chart."""
    total = sum(b.total for b in series.buckets)
    mismatches = sum(b.mismatches for b in series.buckets)
    rate = mismatches / total if total else 0.0
    latest = next((b for b in reversed(series.buckets) if b.total), None)
    explained = sum(b.noise or 0 for b in series.buckets)
    said = f"; {NOISE_SAID[noise].format(explained)}" if series.secondary else ""
    line = f"  {total} requests, {mismatches} mismatches ({rate:.1%}{said})"
    line += f", {sum(b.orphans for b in series.buckets)} orphans"
    line += f", {sum(b.errors for b in series.buckets)} errors"
    if latest is not None:
        line += (
            f"; latest bucket {latest.start:%Y-%m-%d %H:%M}: {latest.mismatch_rate:.1%}, "
            f"p50/p95 ms primary {_ms(latest.primary.p50)}/{_ms(latest.primary.p95)} "
            f"candidate {_ms(latest.candidate.p50)}/{_ms(latest.candidate.p95)}"
        )
    pruned = [b for b in series.buckets if b.pruned]
    if pruned:
        line += f"\n  note: {len(pruned)} buckets fall in pruned time: missing, not quiet"
    return line


def format_series(report: TimeSeries, *, color: bool) -> str:
    from shadowdiff.charts import chart  # plotext only for the text form

    if not report.series:
        return "no comparisons stored for this run and time range"
    parts = []
    for series in report.series:
        parts.append(chart(series, color=color))
        parts.append(summary(series, report.noise))
        parts.append("")
    return "\n".join(parts).rstrip()


@click.command("timeseries")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@window_options(default_since="7d")
@click.option(
    "--step",
    type=click.Choice(list(STEPS)),
    default="5m",
    show_default=True,
    help="Bucket size.",
)
@noise_option("Mismatches")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(
    endpoint: str | None,
    since: str,
    until: str | None,
    run_id: str,
    step: str,
    noise: NoiseFilter,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Mismatch rate, volume, orphans, errors and latency per time bucket.

    Drawn as a chart per endpoint (mismatch rate on the left axis, requests on
    the right), with a line of figures under it; --json gives every bucket:
    total, mismatches, mismatch_rate, orphans, errors and each side's latency
    p50/p95 in ms. Buckets are aligned to the clock (a 5m bucket starts at :00,
    :05, ...); read from the per-minute rollups, so any window answers fast.

    With a secondary, each bucket also counts its noise: mismatches whose
    problem the secondary's baseline explains over the whole window; --noise
    leaves them out of the bucket's mismatches, or keeps them alone.
    """
    now = datetime.now(UTC)
    start, end = window(since, until, now)
    assert start is not None  # --since has a default
    engine = open_store(db_url, existing=True)
    with store_errors():
        try:
            report = timeseries(
                engine,
                since=start,
                until=end or now,
                step=step,
                endpoint=endpoint,
                run_id=run_id,
                noise=noise,
                thresholds=settings_thresholds,
            )
        except ValueError as error:
            raise click.UsageError(str(error)) from error
    if as_json:
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_series(report, color=sys.stdout.isatty()))
    if not report.series:
        with store_errors():
            note_unknown_endpoint(engine, run_id, endpoint)
