"""`shadowdiff demo`: the whole pipeline in one process, over a capture, into SQLite."""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import click
from click._termui_impl import ProgressBar

import storage
from comparator.coverage import unmatched
from shadowdiff.commands.alerts import format_alerts
from shadowdiff.commands.db import open_store
from shadowdiff.commands.mismatches import format_report
from shadowdiff.recorded import shift_into, shift_to, shifted
from shadowdiff.rules import resolve_alert_rules, resolve_rules, rules_option
from shadowdiff.settings import Settings
from shadowdiff.skipped import EXIT_SKIPPED, Skipped
from storage import compaction
from storage.alert_store import list_alerts
from storage.queries import stored_span
from streams.capture import CaptureError, count_records, read_capture
from streams.pipeline import run_pipeline

DEMO_DB_FILE = Path("shadowdiff-demo.sqlite")


def sample_capture() -> Path:
    """The traffic shipped with shadowdiff: an hour of realistic requests with a spike.

    `python -m streams.synthetic --pairs 5400 --rate 1.5 --seed 7 --spike
    'GET /courses@35+10' --out streams/samples/traffic.avro` made it (a test
    keeps it so): 35 minutes in, `GET /courses` starts failing for 10 minutes.
    """
    return Path(str(resources.files("streams").joinpath("samples/traffic.avro")))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@click.command("demo")
@click.option(
    "--capture",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Capture to judge (.jsonl or .avro); default: the shipped sample.",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    help=f"Where to store results; default: a fresh sqlite:///{DEMO_DB_FILE} "
    "(replaced on every run).",
)
@rules_option
@click.option(
    "--grace",
    "grace_s",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds of event time a side waits for its counterpart.",
)
@click.option(
    "--strict", is_flag=True, help="Stop at the first malformed record instead of skipping it."
)
@click.option(
    "--as-recorded",
    is_flag=True,
    help="Keep the shipped sample's own times (2025-01-06) instead of moving it to end now.",
)
def command(
    capture: Path | None,
    db_url: str | None,
    rules_file: Path | None,
    grace_s: float,
    strict: bool,
    as_recorded: bool,
) -> None:
    """Join, compare and store a capture in one process, then print the mismatch report.

    The same join, comparator and store as the Kafka worker, on one machine with
    nothing else running. Query the results afterwards with
    `shadowdiff mismatches --db URL` or `shadowdiff show REQUEST_ID --db URL`.
    Malformed records are skipped, counted and shown (the first few), and the
    exit status is then 3; with --strict the first one stops the run (status 1).
    The shipped sample is moved in time to end now, so `--since 1h` finds it;
    a capture of your own keeps its times.
    """
    settings = Settings()
    moved = capture is None and not as_recorded
    capture = capture or sample_capture()
    rules = resolve_rules(rules_file or settings.rules_file)
    if db_url is None:
        DEMO_DB_FILE.unlink(missing_ok=True)
        db_url = f"sqlite:///{DEMO_DB_FILE}"
    engine = open_store(db_url)
    try:
        storage.upgrade(engine)
        shift = timedelta(0)
        if moved:
            span = stored_span(engine)
            shift = shift_into(span[1]) if span else shift_to(datetime.now(UTC))
        writer = storage.ResultWriter(
            engine,
            rules_version=rules.version,
            kind="live",
            redaction_key=settings.redaction_secret,
        )
        started = time.perf_counter()
        skipped = Skipped()
        stderr = click.get_text_stream("stderr")
        # Off a terminal a bar is only its label: the summary line says what was done.
        bar: ProgressBar[int] | None = (
            click.progressbar(length=count_records(capture) or 0, label="judging", file=stderr)
            if stderr.isatty()
            else None
        )
        with bar or contextlib.nullcontext():
            stats = run_pipeline(
                shifted(read_capture(capture, on_skip=None if strict else skipped), shift),
                rules,
                writer,
                grace=timedelta(seconds=grace_s),
                on_exchange=(lambda: bar.update(1)) if bar else None,
            )
        elapsed = time.perf_counter() - started
    except CaptureError as error:
        raise click.ClickException(str(error)) from error
    except storage.StorageError as error:
        raise click.ClickException(f"{error}\nCheck --db.") from error

    for line in skipped.report():
        click.echo(line, err=True)
    if stats.exchanges == 0:
        click.echo(f"Warning: {capture} holds no exchanges: there was nothing to judge", err=True)
    j = stats.join
    secondary = f", {j.with_secondary} with a secondary" if j.with_secondary else ""
    if j.ignored:  # a secondary is a baseline for its pair: alone it judges nothing
        secondary += f", {j.ignored} secondary without its pair"
    bad = f" ({skipped.count} malformed skipped)" if skipped.count else ""
    click.echo(
        f"{_count(stats.exchanges, 'exchange')} from {capture.name}{bad}: "
        f"{_count(j.paired, 'pair')}, {_count(j.orphans, 'orphan')}, "
        f"{_count(j.duplicates, 'duplicate')} absorbed{secondary}; "
        f"{_count(stats.stored, 'result')} stored in {elapsed:.2f}s (rules {rules.version})"
    )
    if stats.stored < stats.judged:
        click.echo(
            f"({stats.judged - stats.stored} of {stats.judged} requests already had a result in "
            "this database, which was kept: the report below is of the stored results. "
            "Pass a new --db to judge afresh.)"
        )
    compaction.compact(engine)  # as the worker's leader would: long time series read spans
    click.echo("")
    report = storage.mismatch_report(engine)
    click.echo(format_report(report))
    for glob in unmatched(rules, (e.endpoint for e in report.endpoints)):
        click.echo(f"rules: the section {glob!r} matched no endpoint (a typo?)")
    # The alert judge, once over what was stored, in the capture's own time.
    from alerting.evaluator import evaluate  # the alerting package brings aiohttp

    book = resolve_alert_rules(rules_file or settings.rules_file)
    evaluate(engine, book)
    raised = list_alerts(engine)
    click.echo("")
    click.echo(f"alerts ({len(raised)}):" if raised else "alerts: none raised")
    if raised:
        click.echo(format_alerts(raised))
    click.echo("")
    click.echo(f"results: {storage.safe_url(engine)}")
    # Hints a person can paste as printed: the program as it was run, a real request.
    me = invoked_as()
    example = next((e.examples[0] for e in report.endpoints if e.examples), "REQUEST_ID")
    click.echo(f"  {me} mismatches --db {db_url}")
    click.echo(f"  {me} signatures --db {db_url}")
    click.echo(f"  {me} alerts --db {db_url}")
    span = stored_span(engine)
    if span is not None:
        since, until = (t.strftime("%Y-%m-%dT%H:%MZ") for t in span)
        click.echo(f"  {me} timeseries --db {db_url} --since {since} --until {until} --step 1m")
    click.echo(f"  {me} noise --db {db_url} --until end")
    click.echo(f"  {me} readiness --db {db_url} --until end")
    click.echo(f"  {me} show {example} --db {db_url}")
    click.echo("")
    click.echo(
        "dashboard: choose a token and serve; open http://127.0.0.1:8000/ and sign in with "
        'the token it echoes (curl: -H "Authorization: Bearer $SHADOWDIFF_API_TOKENS")'
    )
    click.echo(
        '  export SHADOWDIFF_API_TOKENS="$(openssl rand -hex 24)"; echo "$SHADOWDIFF_API_TOKENS"'
    )
    click.echo(f"  {me} serve --db {db_url}")
    if skipped.count:
        raise click.exceptions.Exit(EXIT_SKIPPED)


def invoked_as(argv0: str | None = None) -> str:
    """How to run shadowdiff again from here: `shadowdiff` when that is on the PATH and
    is this one, else the path it was run by (`.venv/bin/shadowdiff`)."""
    argv0 = argv0 or sys.argv[0]
    on_path = shutil.which("shadowdiff")
    if on_path and Path(on_path).resolve() == Path(argv0).resolve():
        return "shadowdiff"
    if Path(argv0).name == "shadowdiff":
        return argv0
    return f"{sys.executable} -m shadowdiff"
