"""A window of recent traffic: a length back from an end, that end `now` or the data's.

`--until end` anchors the window at the end of the stored traffic (a capture
judged by `shadowdiff demo` keeps its own dates), so a window like `7d` means
the last seven days that have traffic rather than the last seven days of the
clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import click
from sqlalchemy import Engine

from shadowdiff.window import instant
from storage.models import LIVE_RUN
from storage.queries import stored_span
from storage.timespec import parse_duration

F = TypeVar("F", bound=Callable[..., Any])

END = "end"


def recent_options(*, flag: str, default: str) -> Callable[[F], F]:
    """Add `flag` (a duration, parameter `length`), --until and --run (`until`, `run_id`)."""

    def decorate(function: F) -> F:
        function = click.option(
            "--run", "run_id", default=LIVE_RUN, show_default=True, help="Run to read."
        )(function)
        function = click.option(
            "--until",
            default="now",
            show_default=True,
            help="End of the window: now, `end` (the end of the stored traffic) or ISO-8601.",
        )(function)
        return click.option(
            flag,
            "length",
            default=default,
            show_default=True,
            help="How far back from --until: 15m, 1h, 7d.",
        )(function)

    return decorate


def recent_window(
    length: str, until: str, engine: Engine, run_id: str, now: datetime, *, flag: str
) -> tuple[datetime, datetime]:
    """(start, end) of the window `length` back from `until`; a usage error if either is bad."""
    span = parse_duration(length)
    if span is None or span <= timedelta(0):
        raise click.BadParameter(f"{length!r} is not a duration: use 15m, 1h, 7d", param_hint=flag)
    if until == END:
        stored = stored_span(engine, run_id)
        end = stored[1] if stored is not None else now
    elif until == "now":
        end = now
    else:
        found = instant(until, now, "--until")
        assert found is not None
        end = found
    try:
        return end - span, end
    except OverflowError:
        raise click.BadParameter(f"{length!r} reaches too far back", param_hint=flag) from None
