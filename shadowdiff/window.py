"""The options every query command shares: a run and a time window.

`--since` / `--until` take a duration back from now (`15m`, `1h`, `7d`) or an
ISO-8601 time; a bad one is a usage error that says which forms work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from storage.models import LIVE_RUN
from storage.timespec import TimeSpecError, parse_instant

F = TypeVar("F", bound=Callable[..., Any])


def window_options(*, default_since: str | None = None) -> Callable[[F], F]:
    """Add --since, --until and --run to a command (parameters since, until, run_id)."""
    since_help = "Start: 15m, 1h, 7d (ago) or ISO-8601 (UTC if no offset)."
    if default_since is not None:
        since_help = since_help[:-1] + f"; default {default_since}."

    def decorate(function: F) -> F:
        function = click.option(
            "--run", "run_id", default=LIVE_RUN, show_default=True, help="Run to report on."
        )(function)
        function = click.option(
            "--until", default=None, help="End (exclusive), same forms as --since."
        )(function)
        return click.option("--since", default=default_since, help=since_help)(function)

    return decorate


def instant(spec: str | None, now: datetime, flag: str) -> datetime | None:
    """The instant a --since/--until value names (None for None); a usage error if bad."""
    if spec is None:
        return None
    try:
        return parse_instant(spec, now=now)
    except TimeSpecError as error:
        raise click.BadParameter(str(error), param_hint=flag) from error


def window(
    since: str | None, until: str | None, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """(start, end) of --since/--until; a usage error when the end is not after the start."""
    now = now or datetime.now(UTC)
    start, end = instant(since, now, "--since"), instant(until, now, "--until")
    if start is not None and end is not None and end <= start:
        raise click.BadParameter(f"{until!r} is not after --since {since!r}", param_hint="--until")
    return start, end
