"""`shadowdiff demo`: the whole pipeline in one process, over a capture, into SQLite."""

from __future__ import annotations

import time
from datetime import timedelta
from importlib import resources
from pathlib import Path

import click
from click._termui_impl import ProgressBar

import storage
from shadowdiff.commands.alerts import format_alerts
from shadowdiff.commands.db import open_store
from shadowdiff.commands.mismatches import format_report
from shadowdiff.rules import resolve_alert_rules, resolve_rules, rules_option
from shadowdiff.settings import Settings
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
def command(
    capture: Path | None, db_url: str | None, rules_file: Path | None, grace_s: float
) -> None:
    """Join, compare and store a capture in one process, then print the mismatch report.

    The same join, comparator and store as the Kafka worker, on one machine with
    nothing else running. Query the results afterwards with
    `shadowdiff mismatches --db URL` or `shadowdiff show REQUEST_ID --db URL`.
    """
    settings = Settings()
    capture = capture or sample_capture()
    rules = resolve_rules(rules_file or settings.rules_file)
    if db_url is None:
        DEMO_DB_FILE.unlink(missing_ok=True)
        db_url = f"sqlite:///{DEMO_DB_FILE}"
    engine = open_store(db_url)
    try:
        storage.upgrade(engine)
        writer = storage.ResultWriter(
            engine,
            rules_version=rules.version,
            kind="live",
            redaction_key=settings.redaction_secret,
        )
        started = time.perf_counter()
        bar: ProgressBar[int] = click.progressbar(
            length=count_records(capture) or 0,
            label="judging",
            file=click.get_text_stream("stderr"),
        )
        with bar:
            stats = run_pipeline(
                read_capture(capture),
                rules,
                writer,
                grace=timedelta(seconds=grace_s),
                on_exchange=lambda: bar.update(1),
            )
        elapsed = time.perf_counter() - started
    except CaptureError as error:
        raise click.ClickException(str(error)) from error
    except storage.StorageError as error:
        raise click.ClickException(f"{error}\nCheck --db.") from error

    j = stats.join
    click.echo(
        f"{_count(stats.exchanges, 'exchange')} from {capture.name}: "
        f"{_count(j.paired, 'pair')}, {_count(j.orphans, 'orphan')}, "
        f"{_count(j.duplicates, 'duplicate')} absorbed; "
        f"{_count(stats.stored, 'result')} stored in {elapsed:.2f}s (rules {rules.version})"
    )
    if stats.stored < stats.judged:
        click.echo(
            f"({stats.judged - stats.stored} of {stats.judged} requests already had a result in "
            "this database, which was kept: the report below is of the stored results. "
            "Pass a new --db to judge afresh.)"
        )
    click.echo("")
    click.echo(format_report(storage.mismatch_report(engine)))
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
    click.echo(f"  shadowdiff mismatches --db {db_url}")
    click.echo(f"  shadowdiff signatures --db {db_url}")
    click.echo(f"  shadowdiff alerts --db {db_url}")
    span = stored_span(engine)
    if span is not None:
        since, until = (t.strftime("%Y-%m-%dT%H:%MZ") for t in span)
        click.echo(
            f"  shadowdiff timeseries --db {db_url} --since {since} --until {until} --step 1m"
        )
    click.echo(f"  shadowdiff noise --db {db_url} --until end")
    click.echo(f"  shadowdiff readiness --db {db_url} --until end")
    click.echo(f"  shadowdiff show REQUEST_ID --db {db_url}")
    click.echo("")
    click.echo("dashboard: choose a token, serve, then open http://127.0.0.1:8000/ and paste it")
    click.echo(
        '  export SHADOWDIFF_API_TOKENS="$(openssl rand -hex 24)"; echo "$SHADOWDIFF_API_TOKENS"'
    )
    click.echo(f"  shadowdiff serve --db {db_url}")
