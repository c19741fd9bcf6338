"""A healthy worker's start logs no ERROR for the broker's expected coordinator retries."""

from __future__ import annotations

import logging

import pytest
from aiokafka.errors import GroupCoordinatorNotAvailableError, KafkaConnectionError

from streams.startup_log import COORDINATOR_LOGGER, StartupRetries, quiet_startup


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lookup_failed(error: Exception) -> logging.LogRecord:
    # As aiokafka's group coordinator logs a failed lookup.
    return logging.LogRecord(
        COORDINATOR_LOGGER,
        logging.ERROR,
        __file__,
        1,
        "Group Coordinator Request failed: %s",
        (error,),
        None,
    )


def test_coordinator_retries_are_info_during_the_start_and_errors_after() -> None:
    logging.getLogger(COORDINATOR_LOGGER).setLevel(logging.INFO)
    clock = Clock()
    startup = StartupRetries(grace_s=60, clock=clock)
    early = lookup_failed(GroupCoordinatorNotAvailableError())
    assert startup.filter(early) and (early.levelno, early.levelname) == (logging.INFO, "INFO")
    clock.now += 61
    late = lookup_failed(GroupCoordinatorNotAvailableError())
    assert startup.filter(late) and late.levelname == "ERROR"
    logging.getLogger(COORDINATOR_LOGGER).setLevel(logging.NOTSET)


def test_other_failures_stay_errors() -> None:
    startup = StartupRetries(grace_s=60, clock=Clock())
    other = lookup_failed(KafkaConnectionError())
    assert startup.filter(other) and other.levelname == "ERROR"


def test_the_installed_filter_turns_the_logged_line_to_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    startup = quiet_startup()
    try:
        with caplog.at_level(logging.INFO, logger=COORDINATOR_LOGGER):
            logging.getLogger(COORDINATOR_LOGGER).error(
                "Group Coordinator Request failed: %s", GroupCoordinatorNotAvailableError()
            )
        assert [r.levelname for r in caplog.records] == ["INFO"]
        # At the worker's default level the retry is not shown at all.
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=COORDINATOR_LOGGER):
            logging.getLogger(COORDINATOR_LOGGER).error(
                "Group Coordinator Request failed: %s", GroupCoordinatorNotAvailableError()
            )
        assert caplog.records == []
    finally:
        logging.getLogger(COORDINATOR_LOGGER).removeFilter(startup)
        logging.getLogger(COORDINATOR_LOGGER).setLevel(logging.NOTSET)
