"""Broker addresses are checked before anything talks to Kafka."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from shadowdiff.cli import main
from shadowdiff.settings import parse_brokers


def test_broker_lists() -> None:
    assert parse_brokers(" a:9092, [::1]:19092 ,") == ["a:9092", "[::1]:19092"]


@pytest.mark.parametrize("text", ["", " , ", "kafka", "kafka:", ":9092", "h:abc", "h:0", "h:99999"])
def test_bad_broker_lists(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_brokers(text)


@pytest.mark.parametrize("command", ["publish", "deadletters", "worker"])
def test_a_bad_bootstrap_flag_is_a_usage_error(command: str) -> None:
    args = [command, "--bootstrap", "127.0.0.1:abc"]
    if command == "publish":
        args.append("streams/samples/capture.jsonl")
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 2, outcome.output
    assert "'127.0.0.1:abc' is not a Kafka broker address" in outcome.output
