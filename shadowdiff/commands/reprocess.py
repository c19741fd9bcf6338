"""`shadowdiff reprocess`: judge historic traffic again, under new rules, into a new run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from aiokafka.errors import KafkaError
from sqlalchemy import Engine

import storage
from shadowdiff.brokers import bootstrap_option, kafka_errors_reported_by_us, resolve_brokers
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.rules import resolve_alert_rules, resolve_rules, rules_option
from shadowdiff.settings import Settings
from shadowdiff.window import instant
from storage import compaction
from storage.runs import RunSummary, get_run
from streams.capture import CaptureError
from streams.replay.kafka_source import KafkaSource, reprocess_kafka, total_records
from streams.replay.progress import Progress
from streams.replay.reprocess import Outcome, Plan, RunConflict, reprocess, start_run
from streams.replay.reprocess import remaining as remaining_units
from streams.replay.runner import Reporter
from streams.replay.sources import SourceError, Window, open_source
from streams.replay.workers import WorkerFailed


def _window(
    existing: RunSummary | None,
    start: datetime | None,
    end: datetime | None,
    grace: timedelta,
) -> Window:
    if existing is not None and start is None and end is None:
        # Resuming: the range is the run's own (relative times were fixed at its start).
        start, end = existing.source_from, existing.source_until
    try:
        return Window(start, end, grace)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--to") from error


@dataclass(frozen=True, slots=True)
class _Job:
    total: int
    run: Callable[[Reporter], Outcome]


def _job(
    engine: Engine,
    plan: Plan,
    source: str,
    note: str | None,
    settings: Settings,
    topic: str | None,
    bootstrap: str | None,
) -> _Job:
    """Open the source, create or check the run; what to run, and how much there is."""
    try:
        if source == "kafka":
            if plan.window.start is None or plan.window.end is None:
                raise click.UsageError("--source kafka needs --from and --to")
            kafka = KafkaSource(
                resolve_brokers(bootstrap, settings),
                topic or settings.exchanges_topic,
                settings.confluent_schema_id,
                settings.max_record_bytes,
            )
            start_run(engine, plan, note or f"reprocess of Kafka topic {kafka.topic}")
            with kafka_errors_reported_by_us():
                total = total_records(engine, plan, kafka)

            def run(report: Reporter) -> Outcome:
                with kafka_errors_reported_by_us():  # rebalance chatter, not news
                    return reprocess_kafka(engine, plan, kafka, report)

            return _Job(total, run)
        units = open_source(source, plan.window)
        start_run(engine, plan, note or f"reprocess of {source}")
    except (SourceError, RunConflict, ValueError) as error:
        raise click.ClickException(str(error)) from error
    except KafkaError as error:
        raise click.ClickException(
            f"Kafka: {error}. Start a broker, or point shadowdiff at one with --bootstrap "
            "or KAFKA_BOOTSTRAP_SERVERS=HOST:PORT."
        ) from error
    _, total = remaining_units(engine, plan.run_id, units)
    return _Job(total, lambda report: reprocess(engine, plan, units, report))


@click.command("reprocess")
@click.option(
    "--source",
    required=True,
    metavar="kafka|CAPTURE|DIR",
    help="`kafka` (the exchanges topic, over --from/--to), a capture file (.jsonl, .avro), "
    "or a directory written by `shadowdiff archive`; files and directories may be fsspec "
    "URLs (s3://bucket/archive, ...).",
)
@rules_option
@click.option(
    "--run",
    "run_id",
    default=None,
    help="Name of the new run; default: reprocess-RULESVERSION. The same command again resumes it.",
)
@click.option(
    "--from",
    "since",
    default=None,
    help="Judge requests observed from this time: ISO-8601 (UTC if no offset) or 7d, 1h "
    "(ago). Default: the source's start.",
)
@click.option("--to", "until", default=None, help="... until this time (exclusive).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes, sharing the source's partitions.",
)
@click.option(
    "--grace",
    "grace_s",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds of event time a side waits for its counterpart; default: GRACE_PERIOD_S.",
)
@click.option("--topic", metavar="TOPIC", help="With --source kafka: the topic [EXCHANGES_TOPIC].")
@bootstrap_option
@click.option("--note", default=None, help="Why this run exists (shown by `shadowdiff runs`).")
@db_option
def command(
    source: str,
    rules_file: Path | None,
    run_id: str | None,
    since: str | None,
    until: str | None,
    workers: int,
    grace_s: float | None,
    topic: str | None,
    bootstrap: str | None,
    note: str | None,
    db_url: str | None,
) -> None:
    """Judge history (Kafka, a capture, an archive) again under new rules, into a new run.

    Uses the live worker's join, comparator and writer. Interrupted (Ctrl-C, a
    kill), the same command again resumes from the last checkpoint; every
    request ends up stored exactly once. Compare the result with the live run:
    `shadowdiff runs diff live RUN`.

    From Kafka, --from and --to are required: each partition is read from the
    offset of T1 to the offset of T2 (plus the grace period), by a consumer
    group named after the run, so the same command on several machines shares
    the partitions.
    """
    settings = Settings()
    rules = resolve_rules(rules_file or settings.rules_file)
    run_id = run_id or f"reprocess-{rules.version}"
    now = datetime.now(UTC)
    start, end = instant(since, now, "--from"), instant(until, now, "--to")
    grace = timedelta(seconds=grace_s if grace_s is not None else settings.grace_period_s)
    url = db_url or settings.database_url
    engine = open_store(url)
    with store_errors():
        if engine.dialect.name == "sqlite":
            storage.upgrade(engine)  # the embedded default makes its own schema, as demo does
        window = _window(get_run(engine, run_id), start, end, grace)
        plan = Plan(
            run_id=run_id,
            db_url=url,
            rules=rules,
            window=window,
            redaction_key=settings.redaction_secret,
            workers=workers,
            max_body_bytes=settings.max_body_bytes,
        )
        job = _job(engine, plan, source, note, settings, topic, bootstrap)
        progress = Progress(job.total, click.get_text_stream("stderr"))
        try:
            outcome = job.run(progress.update)
        except KeyboardInterrupt:
            progress.close()
            raise click.ClickException(
                f"interrupted: run {run_id!r} is kept; the same command again resumes it"
            ) from None
        except (CaptureError, WorkerFailed, KafkaError) as error:
            progress.close()
            raise click.ClickException(str(error)) from error
        progress.close()
        run = get_run(engine, run_id)
    assert run is not None
    if outcome.units == 0:
        click.echo(f"run {run_id!r} was already complete ({run.total} requests); nothing to do")
    else:
        click.echo(
            f"run {run_id!r} ({run.state}): {outcome.records} records read, "
            f"{outcome.judged} requests judged, {outcome.stored} stored now, "
            f"{run.total} in the run (rules {rules.version})"
        )
    if run.state == "complete":
        from alerting.evaluator import evaluate  # the alerting package brings aiohttp

        with store_errors():
            compaction.compact(engine, run_id)
            judged = evaluate(
                engine, resolve_alert_rules(rules_file or settings.rules_file), run_id=run_id
            )
        firing = sum(alert.state == "firing" for alert in judged.alerts)
        click.echo(
            f"alerts in the run: {len(judged.alerts)} ({firing} firing at its end): "
            f"shadowdiff alerts --run {run_id} --db {storage.safe_url(engine)}"
        )
    click.echo(f"  shadowdiff runs diff live {run_id} --db {storage.safe_url(engine)}")
    click.echo(f"  shadowdiff mismatches --run {run_id} --db {storage.safe_url(engine)}")
