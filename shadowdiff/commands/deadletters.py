"""`shadowdiff deadletters`: what the worker could not use, and why."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click
import orjson

from shadowdiff.brokers import bootstrap_option, kafka_errors_reported_by_us, resolve_brokers
from shadowdiff.settings import Settings
from storage.timespec import TimeSpecError, parse_instant
from streams.deadletter import DeadLetter, DeadLetterReadError, DeadLetterScan, read_dead_letters

_KEY_SHOWN = 40


def _key(letter: DeadLetter) -> str:
    if letter.key is None:
        return "-"
    text = letter.key.decode("utf-8", "replace")
    return text if len(text) <= _KEY_SHOWN else text[: _KEY_SHOWN - 1] + "…"


def _size(letter: DeadLetter) -> str:
    return f"{letter.size}" + (f" (kept {letter.kept})" if letter.truncated else "")


def format_scan(scan: DeadLetterScan, topic: str) -> str:
    """The dead letters as an aligned table (reason last, uncut), then the counts."""
    if not scan.total:
        return f"no dead letters in {topic} for this time range"
    header = ("time", "failure", "source", "key", "size", "reason")
    rows = [header]
    for d in scan.letters:
        rows.append(
            (
                d.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                d.failure,
                d.source or "-",
                _key(d),
                _size(d),
                d.reason,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i == 4 else cell.ljust(widths[i])
            for i, cell in enumerate(row[:-1])
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    if len(scan.letters) < scan.total:
        lines.append(f"(the newest {len(scan.letters)} of {scan.total} shown)")
    lines.append("")
    lines.append("per failure:")
    width = max(len(code) for code in scan.counts)
    digits = max(len(str(n)) for n in scan.counts.values())
    for code, n in scan.counts.items():
        lines.append(f"  {code:<{width}}  {n:>{digits}}")
    return "\n".join(lines)


@click.command("deadletters")
@click.option(
    "--since", default=None, help="Start: 15m, 1h, 7d (ago) or ISO-8601 (UTC if no offset)."
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Show at most this many, the newest (counts cover them all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@bootstrap_option
@click.option("--topic", metavar="TOPIC", help="dead-letter topic [DEADLETTER_TOPIC]")
def command(
    since: str | None, limit: int, as_json: bool, bootstrap: str | None, topic: str | None
) -> None:
    """Records the worker dead-lettered: time, failure code, reason, source, key, size.

    Reads the dead-letter topic from the start (or from --since) up to its end
    as of now, then counts the dead letters per failure code. `source` is the
    original record's topic/partition/offset; `size` its length in bytes.
    """
    settings = Settings()  # fields come from the environment
    topic = topic or settings.deadletter_topic
    start = None
    if since is not None:
        try:
            start = parse_instant(since, now=datetime.now(UTC))
        except TimeSpecError as error:
            raise click.BadParameter(str(error), param_hint="--since") from error
    brokers = resolve_brokers(bootstrap, settings)
    try:
        with kafka_errors_reported_by_us():
            scan = asyncio.run(read_dead_letters(brokers, topic, since=start, limit=limit))
    except DeadLetterReadError as exc:
        raise click.ClickException(
            f"{exc}\nStart a broker there, or point shadowdiff at one with --bootstrap "
            "or KAFKA_BOOTSTRAP_SERVERS=HOST:PORT."
        ) from exc
    if as_json:
        out = {"deadletters": [d.to_json() for d in scan.letters], "counts": scan.counts}
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_scan(scan, topic))
