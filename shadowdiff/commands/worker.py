"""`shadowdiff worker`: the Faust worker that joins, judges and stores live traffic."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

import storage
from shadowdiff.brokers import (
    bootstrap_option,
    kafka_errors_reported_by_us,
    resolve_brokers,
    schema_id_option,
)
from shadowdiff.commands.db import open_store, store_errors
from shadowdiff.rules import resolve_alert_rules, resolve_rules, rules_option
from shadowdiff.settings import DEFAULT_METRICS_PORT, Settings
from streams.schemas import SchemaBook, SchemaFileError, schema_directory
from streams.topics import KafkaUnreachable, ensure_topics

if TYPE_CHECKING:
    from streams.app import WorkerConfig


@click.command("worker")
@bootstrap_option
@click.option(
    "--db", "db_url", metavar="URL", default=None, help="Result database; default: DATABASE_URL."
)
@rules_option
@click.option(
    "--grace",
    "grace_s",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds of event time a side waits for its counterpart (default: GRACE_PERIOD_S or 30).",
)
@schema_id_option(
    "Schema Registry id of the Exchange schema, for gateways that publish with "
    "Confluent framing (default: CONFLUENT_SCHEMA_ID; single-object records need none)."
)
@click.option(
    "--schema-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Directory of .avsc writer schemas to read single-object records of, besides the "
    "released Exchange schemas (default: SCHEMA_DIR).",
)
@click.option(
    "--schema-registry-url",
    metavar="URL",
    default=None,
    help="Confluent-compatible schema registry to fetch the writer schemas of Confluent "
    "ids from (default: SCHEMA_REGISTRY_URL).",
)
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Partitions of the exchanges topic when shadowdiff creates it; an existing "
    "topic keeps its own count.",
)
@click.option(
    "--app-id",
    default=None,
    help="Consumer group (default: WORKER_ID or 'shadowdiff'). Workers sharing it share the work.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    help="Port of the Prometheus metrics at /metrics (default: METRICS_PORT or "
    f"{DEFAULT_METRICS_PORT}); 0 serves none. Each worker on a host needs its own.",
)
@click.option(
    "--loglevel",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="info adds Faust's start-up and rebalance reports.",
)
def command(
    bootstrap: str | None,
    db_url: str | None,
    rules_file: Path | None,
    grace_s: float | None,
    schema_id: int | None,
    schema_dir: Path | None,
    schema_registry_url: str | None,
    partitions: int,
    app_id: str | None,
    metrics_port: int | None,
    loglevel: str,
) -> None:
    """Run a worker: consume shadowdiff.exchanges, store verdicts in the database.

    Start as many as the exchanges topic has partitions; they share the work
    through one consumer group. The database schema must exist first
    (`shadowdiff db upgrade`). Stop with Ctrl-C: nothing is lost, and a restarted
    worker resumes where the last committed batch ended.
    """
    overrides = {
        k: v
        for k, v in {
            "kafka_bootstrap_servers": bootstrap,
            "database_url": db_url,
            "rules_file": rules_file,
            "grace_period_s": grace_s,
            "worker_id": app_id,
            "confluent_schema_id": schema_id,
            "metrics_port": metrics_port,
            "schema_dir": schema_dir,
            "schema_registry_url": schema_registry_url,
        }.items()
        if v is not None
    }
    # Faust is slow to import: only this command pays for it.
    from streams.app import WorkerConfig

    settings = Settings().model_copy(update=overrides)
    brokers = resolve_brokers(bootstrap, settings)  # named before anything starts
    rules = resolve_rules(settings.rules_file)
    from alerting import parse_webhooks  # aiohttp: only for the worker

    try:
        webhooks = parse_webhooks(settings.alert_webhooks or "")
    except ValueError as error:
        raise click.ClickException(f"ALERT_WEBHOOKS: {error}") from error
    open_store(settings.database_url).dispose()  # a malformed URL is named before Kafka is
    schemas = writer_schemas(settings)
    try:
        with kafka_errors_reported_by_us():
            counts = asyncio.run(
                ensure_topics(
                    brokers,
                    {
                        settings.exchanges_topic: partitions,
                        settings.comparisons_topic: partitions,
                        settings.deadletter_topic: 1,
                        settings.alerts_topic: 1,
                    },
                )
            )
    except KafkaUnreachable as error:
        raise click.ClickException(
            f"{error}\nIs Kafka running? Point KAFKA_BOOTSTRAP_SERVERS or --bootstrap at it."
        ) from error
    config = WorkerConfig(
        brokers=brokers,
        database_url=settings.database_url,
        rules=rules,
        app_id=settings.worker_id,
        exchanges_topic=settings.exchanges_topic,
        comparisons_topic=settings.comparisons_topic,
        deadletter_topic=settings.deadletter_topic,
        partitions=counts[settings.exchanges_topic],
        grace=timedelta(seconds=settings.grace_period_s),
        tick_interval_s=settings.tick_interval_s,
        max_body_bytes=settings.max_body_bytes,
        max_record_bytes=settings.max_record_bytes,
        confluent_schema_id=settings.confluent_schema_id,
        schemas=schemas,
        datadir=Path(tempfile.gettempdir()) / f"shadowdiff-worker-{settings.worker_id}",
        redaction_key=settings.redaction_secret,
        retention=settings.retention(),
        retention_interval_s=settings.retention_interval_s,
        alert_rules=resolve_alert_rules(settings.rules_file),
        alert_interval_s=settings.alert_interval_s,
        compaction_interval_s=settings.compaction_interval_s,
        alerts_topic=settings.alerts_topic,
        alert_webhooks=webhooks,
        metrics_port=settings.metrics_port,
    )
    click.echo(
        f"worker {config.app_id}: {config.exchanges_topic} ({config.partitions} partitions) on "
        f"{settings.kafka_bootstrap_servers} -> {storage.safe_url(settings.database_url)}, "
        f"rules {rules.version}, grace {config.grace.total_seconds():g}s, "
        + (f"metrics on :{config.metrics_port}/metrics" if config.metrics_port else "no metrics"),
        err=True,
    )
    if settings.redaction_secret is None:
        click.echo(
            "warning: SHADOWDIFF_REDACTION_KEY is not set; secrets are hashed with the public "
            "development key, which lets anyone test guesses against them",
            err=True,
        )
    _run(config, loglevel)


def writer_schemas(settings: Settings) -> SchemaBook:
    """The writer schemas the settings name; a bad SCHEMA_DIR file is a usage error."""
    extra = []
    if settings.schema_dir is not None:
        try:
            extra = schema_directory(settings.schema_dir)
        except SchemaFileError as error:
            raise click.BadParameter(str(error), param_hint="SCHEMA_DIR") from error
        for schema in extra:
            if schema.problems:
                click.echo(
                    f"warning: {schema.source} cannot be read as the Exchange schema, so its "
                    f"records will be dead-lettered: {'; '.join(schema.problems)}",
                    err=True,
                )
    return SchemaBook(
        extra,
        confluent_id=settings.confluent_schema_id,
        registry_url=settings.schema_registry_url,
    )


def _run(config: WorkerConfig, loglevel: str) -> None:
    from faust import Worker

    from streams.app import build_app
    from streams.metrics_http import MetricsPortUnavailable
    from streams.startup_log import quiet_startup
    from streams.unreadable import explain

    with store_errors():  # building the app opens the store: say what to do if it can't
        try:
            app = build_app(config)
        except MetricsPortUnavailable as error:
            raise click.ClickException(str(error)) from error
    # What `faust worker` does before it starts a worker.
    app.finalize()
    app.worker_init()
    app.worker_init_post_autodiscover()
    worker = Worker(app, loglevel=loglevel, quiet=True)
    # Faust's startup spinner turns the root logger to DEBUG at warning level and
    # above, which makes every aiokafka debug call build a log record: ~3% of
    # the worker's time, for an animation nobody sees in a service.
    worker.spinner = None
    quiet_startup()
    try:
        worker.execute_from_commandline()
    except SystemExit:
        unreadable = explain(
            worker.crash_reason,
            topic=config.exchanges_topic,
            group=config.app_id,
            bootstrap=",".join(config.brokers),
        )
        if unreadable is None:
            raise
        click.echo(f"Error: {unreadable.message}", err=True)
        raise SystemExit(unreadable.status) from None
