"""Quiet while the broker starts: its expected retries are not logged as errors.

A worker that starts with its broker (or right after it) asks for the group
coordinator before the broker has made its offsets topic; aiokafka retries,
logging each failed lookup as `[ERROR] Group Coordinator Request failed:
GroupCoordinatorNotAvailableError`. That is normal for the first seconds, and an
ERROR line in a healthy start teaches operators to ignore ERROR lines. This
filter logs those retries at INFO (so not at all at the worker's default
`--loglevel warning`) during a grace period after the worker starts; past it
the same line is an ERROR again, since then it means trouble.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiokafka.errors import CoordinatorNotAvailableError

COORDINATOR_LOGGER = "aiokafka.consumer.group_coordinator"
DEFAULT_GRACE_S = 60.0


class StartupRetries(logging.Filter):
    """Demotes the coordinator lookup's retriable failures to INFO for `grace_s` seconds."""

    def __init__(
        self, grace_s: float = DEFAULT_GRACE_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._clock = clock
        self._until = clock() + grace_s

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno == logging.ERROR
            and self._clock() < self._until
            and any(isinstance(arg, CoordinatorNotAvailableError) for arg in _args(record))
        ):
            record.levelno, record.levelname = logging.INFO, "INFO"
            # The logger let an ERROR through; an INFO only where INFO is wanted.
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def _args(record: logging.LogRecord) -> tuple[object, ...]:
    args = record.args
    return args if isinstance(args, tuple) else ()


def quiet_startup(grace_s: float = DEFAULT_GRACE_S) -> StartupRetries:
    """Install the filter on aiokafka's group coordinator logger; returns it."""
    startup = StartupRetries(grace_s)
    logging.getLogger(COORDINATOR_LOGGER).addFilter(startup)
    return startup
