"""`shadowdiff publish`: replay a capture file into Kafka, as a gateway would."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import click

from shadowdiff.brokers import (
    bootstrap_option,
    kafka_errors_reported_by_us,
    resolve_brokers,
    schema_id_option,
)
from shadowdiff.settings import Settings
from streams.capture import CaptureError, read_capture
from streams.codec import EncodeError, Framing
from streams.exchange import Exchange
from streams.publisher import (
    DEFAULT_COMPRESSION,
    BrokerUnreachable,
    Compression,
    Publisher,
    PublishError,
)

_COUNTER_EVERY = 10_000


def _with_progress(exchanges: Iterator[Exchange], label: str) -> Iterator[Exchange]:
    """Yield `exchanges`, showing progress: a bar on a terminal, else a line per 10,000."""
    if sys.stderr.isatty():
        with click.progressbar(exchanges, label=label, file=sys.stderr) as bar:
            yield from bar
        return
    for count, exchange in enumerate(exchanges, start=1):
        yield exchange
        if count % _COUNTER_EVERY == 0:
            click.echo(f"{label}: {count} exchanges", err=True)


async def _publish(capture: Path, publisher: Publisher) -> int:
    async with publisher:
        for exchange in _with_progress(read_capture(capture), f"publishing {capture.name}"):
            await publisher.publish(exchange)
    return publisher.published


@click.command("publish")
@click.argument("capture", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@bootstrap_option
@click.option("--topic", metavar="TOPIC", help="topic to publish to [EXCHANGES_TOPIC]")
@click.option(
    "--framing",
    type=click.Choice(get_args(Framing)),
    default="single-object",
    show_default=True,
    help="Avro framing: single-object (schema fingerprint) or confluent (registry id)",
)
@schema_id_option("Schema Registry id of the Exchange schema (confluent framing)")
@click.option(
    "--compression",
    type=click.Choice(get_args(Compression)),
    default=DEFAULT_COMPRESSION,
    show_default=True,
    help="Kafka batch compression",
)
def command(
    capture: Path,
    bootstrap: str | None,
    topic: str | None,
    framing: Framing,
    schema_id: int | None,
    compression: Compression,
) -> None:
    """Send every exchange in CAPTURE (.jsonl or .avro) to Kafka, keyed by request ID.

    Records go out in file order, Avro-encoded exactly as a gateway would
    publish them. The record timestamp is the time of publishing (the worker
    measures idle partitions by it); the exchange's own start time travels in
    the record, and it is what the join judges by.
    """
    settings = Settings()  # fields come from the environment
    topic = topic or settings.exchanges_topic
    if framing == "confluent" and schema_id is None:
        raise click.UsageError("--framing confluent needs --schema-id (the registry's id)")
    publisher = Publisher(
        resolve_brokers(bootstrap, settings),
        topic=topic,
        framing=framing,
        schema_id=schema_id,
        compression=compression,
    )
    began = time.perf_counter()
    try:
        with kafka_errors_reported_by_us():
            count = asyncio.run(_publish(capture, publisher))
    except BrokerUnreachable as exc:
        raise click.ClickException(
            f"{exc}\nStart a broker there, or point shadowdiff at one with --bootstrap "
            "or KAFKA_BOOTSTRAP_SERVERS=HOST:PORT."
        ) from exc
    except (PublishError, CaptureError, EncodeError) as exc:
        raise click.ClickException(str(exc)) from exc
    elapsed = time.perf_counter() - began
    click.echo(f"published {count} exchanges to {topic} in {elapsed:.1f}s")
