"""`shadowdiff archive`: keep the exchanges topic as hourly Avro files, past Kafka's retention."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import click
from aiokafka.errors import KafkaConnectionError

from shadowdiff.brokers import bootstrap_option, kafka_errors_reported_by_us, resolve_brokers
from shadowdiff.settings import Settings
from streams.replay.archive import ArchiveCounters
from streams.replay.archive_file import Compression
from streams.replay.archiver import ArchiverConfig, run_archiver
from streams.replay.location import Location, LocationError


def _line(counters: ArchiveCounters) -> str:
    return (
        f"archive  {counters.archived:,} records in {counters.files:,} files closed, "
        f"{counters.skipped:,} already archived, {counters.undecodable:,} undecodable"
    )


async def _run(config: ArchiverConfig) -> ArchiveCounters:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def report(counters: ArchiveCounters, partitions: int) -> None:
        click.echo(f"{_line(counters)}; {partitions} partitions", err=True)

    return await run_archiver(config, stop, report)


@click.command("archive")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="DIR|URL",
    help="Directory of the archive (made if missing): DIR/partition=N/HOUR_FIRST-LAST.avro; "
    "or an fsspec URL (s3://bucket/archive, gs://..., with s3fs, gcsfs installed).",
)
@click.option(
    "--group",
    default="shadowdiff-archive",
    show_default=True,
    help="Consumer group; every archiver of one archive uses the same.",
)
@click.option(
    "--compression",
    type=click.Choice(["deflate", "zstandard", "null"]),
    default="deflate",
    show_default=True,
    help="Avro block compression of the files.",
)
@click.option(
    "--close-after",
    "close_after_s",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Close an hour's file once event time is this many seconds past the hour.",
)
@click.option(
    "--max-open",
    "max_open_s",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Close a file open this many seconds of wall-clock time (quiet partitions).",
)
@click.option(
    "--stop-when-idle",
    "idle_s",
    type=click.FloatRange(min=0),
    default=None,
    help="Stop, files closed, after this many seconds without a record (catch up, then exit).",
)
@click.option("--topic", metavar="TOPIC", help="Topic to archive [EXCHANGES_TOPIC].")
@bootstrap_option
def command(
    target: str,
    group: str,
    compression: Compression,
    close_after_s: float,
    max_open_s: float,
    idle_s: float | None,
    topic: str | None,
    bootstrap: str | None,
) -> None:
    """Write every exchange record to Avro files, one per partition and hour of event time.

    Files are captures (`shadowdiff demo --capture FILE`, `shadowdiff reprocess
    --source DIR` read them) and appear only once complete and on disk; offsets
    are committed after that, so a crashed archiver, started again, re-writes
    its unfinished files and never duplicates a record. Run one process per
    partition at most, on any machines, with the same --group and a shared DIR.
    Ctrl-C or SIGTERM closes the open files and commits before exiting.
    """
    try:
        root = Location.of(target)
        root.makedirs()
    except (LocationError, OSError) as error:
        raise click.BadParameter(str(error), param_hint="--to") from error
    settings = Settings()
    config = ArchiverConfig(
        brokers=resolve_brokers(bootstrap, settings),
        topic=topic or settings.exchanges_topic,
        root=root,
        group=group,
        compression=compression,
        close_after=timedelta(seconds=close_after_s),
        max_open_s=max_open_s,
        stop_when_idle_s=idle_s,
        schema_id=settings.confluent_schema_id,
    )
    try:
        with kafka_errors_reported_by_us():
            counters = asyncio.run(_run(config))
    except KafkaConnectionError as error:
        raise click.ClickException(
            f"no Kafka broker answered at {','.join(config.brokers)}: start one, or point "
            "shadowdiff at one with --bootstrap or KAFKA_BOOTSTRAP_SERVERS=HOST:PORT."
        ) from error
    click.echo(f"{_line(counters)} under {root}")
    click.echo(f"  shadowdiff reprocess --source {root} --rules RULES --run NAME")
