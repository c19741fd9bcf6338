"""The options shared by the commands that talk to Kafka: `--bootstrap`, `--schema-id`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from shadowdiff.settings import MAX_SCHEMA_ID, Settings, parse_brokers

F = TypeVar("F", bound=Callable[..., Any])

bootstrap_option = click.option(
    "--bootstrap",
    metavar="HOST:PORT[,...]",
    default=None,
    help="Kafka brokers; default: KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092.",
)


def schema_id_option(help: str) -> Callable[[F], F]:
    """`--schema-id`, the Schema Registry id of Confluent-framed records."""
    return click.option("--schema-id", type=click.IntRange(0, MAX_SCHEMA_ID), help=help)


def resolve_brokers(flag: str | None, settings: Settings) -> list[str]:
    """The brokers `--bootstrap` names, else the settings'; a bad address is a usage error."""
    try:
        return parse_brokers(flag if flag is not None else settings.kafka_bootstrap_servers)
    except ValueError as error:
        hint = "--bootstrap" if flag is not None else "KAFKA_BOOTSTRAP_SERVERS"
        raise click.BadParameter(str(error), param_hint=hint) from error


@contextmanager
def kafka_errors_reported_by_us() -> Iterator[None]:
    """Mute aiokafka's own error lines: the command says what failed and what to do."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
