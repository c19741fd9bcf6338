"""Broker addresses are checked before anything talks to Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowdiff.cli import main
from shadowdiff.settings import MAX_SCHEMA_ID, parse_brokers

SAMPLE = str(Path(__file__).parents[3] / "streams" / "samples" / "capture.jsonl")


def test_broker_lists() -> None:
    assert parse_brokers(" a:9092, [::1]:19092 ,") == ["a:9092", "[::1]:19092"]
    assert parse_brokers("kafka,b:19092") == ["kafka:9092", "b:19092"]  # Kafka's default port


@pytest.mark.parametrize("text", ["", " , ", "kafka:", ":9092", "h:abc", "h:0", "h:99999"])
def test_bad_broker_lists(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_brokers(text)


@pytest.mark.parametrize("command", ["publish", "deadletters", "worker"])
def test_a_bad_bootstrap_flag_is_a_usage_error(command: str) -> None:
    args = [command, "--bootstrap", "127.0.0.1:abc"]
    if command == "publish":
        args.append(SAMPLE)
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 2, outcome.output
    assert "'127.0.0.1:abc' is not a Kafka broker address" in outcome.output


def test_a_bad_broker_setting_is_named_by_the_commands_that_use_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:abc")
    outcome = CliRunner().invoke(main, ["publish", SAMPLE])
    assert outcome.exit_code == 2, outcome.output
    assert "KAFKA_BOOTSTRAP_SERVERS" in outcome.output
    # Commands that never talk to Kafka are not stopped by it.
    assert CliRunner().invoke(main, ["status"]).exit_code == 0


@pytest.mark.parametrize("command", ["publish", "worker"])
@pytest.mark.parametrize("schema_id", ["-1", str(MAX_SCHEMA_ID + 1)])
def test_a_schema_id_out_of_range_is_a_usage_error(command: str, schema_id: str) -> None:
    args = [command, "--schema-id", schema_id, *([SAMPLE] if command == "publish" else [])]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 2, outcome.output
    assert "--schema-id" in outcome.output


def test_a_schema_id_setting_out_of_range_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFLUENT_SCHEMA_ID", str(2**40))
    outcome = CliRunner().invoke(main, ["status"])
    assert outcome.exit_code == 1
    assert "CONFLUENT_SCHEMA_ID" in outcome.output
