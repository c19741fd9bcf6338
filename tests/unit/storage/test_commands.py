"""`shadowdiff db`, `mismatches` and `show` over a SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import storage
from comparator.model import Difference, Kind, Verdict
from shadowdiff.commands import db as db_command
from shadowdiff.commands import mismatches, show
from tests.storage_contract import DATASET, dataset, make_result


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'results.db'}"


@pytest.fixture
def filled(db: str) -> str:
    storage.upgrade(db)
    storage.ResultWriter(storage.connect(db), rules_version="rules-v1").write(dataset())
    return db


@click.group()
def main() -> None:
    """Only the commands under test, so other commands' imports don't matter here."""


for _command in (db_command.command, mismatches.command, show.command):
    main.add_command(_command)


def run(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, list(args))
    return outcome.exit_code, outcome.output


def test_db_upgrade_then_current(db: str) -> None:
    code, out = run("db", "current", "--db", db)
    assert code == 1 and "`shadowdiff db upgrade` create" in out  # no file yet
    code, out = run("db", "upgrade", "--db", db)
    assert code == 0, out
    head = storage.head_revision()
    assert head is not None and f"revision {head}" in out
    code, out = run("db", "current", "--db", db)
    assert code == 0 and f"current:  {head}" in out and "behind" not in out


def test_mismatches_json(filled: str) -> None:
    code, out = run("mismatches", "--db", filled, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert set(report) >= {"endpoints", "since", "until"}
    orders = report["endpoints"][0]
    assert orders["endpoint"] == "POST /orders"
    expected = DATASET["POST /orders"]
    assert orders["total"] == sum(expected.values())
    assert orders["mismatches"] == expected[Verdict.MISMATCH]
    assert orders["mismatch_rate"] == pytest.approx(
        expected[Verdict.MISMATCH] / sum(expected.values())
    )
    assert orders["orphans"] == 0
    assert orders["verdicts"] == {v.value: n for v, n in expected.items()}
    assert {"path", "kind", "count"} == set(orders["top_paths"][0])
    assert len(orders["examples"]) == 3


def test_mismatches_table_lists_every_endpoint_aligned(filled: str) -> None:
    code, out = run("mismatches", "--db", filled)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == [
        "endpoint", "total", "mismatch", "rate", "orphans", "errors", "examples"
    ]  # fmt: skip
    body = lines[1 : 1 + len(DATASET)]
    assert [line.split("  ")[0] for line in body] == [
        "POST /orders",  # most mismatches first
        "GET /users/{id}",
        "query GetCart",
    ]
    # Right-aligned numeric columns end at the same offset as their heading.
    total_end = lines[0].index("total") + len("total")
    assert all(line[total_end - 1].isdigit() for line in body)
    assert "top differing paths:" in out and "/total" in out


def test_mismatches_endpoint_and_time_filters(filled: str) -> None:
    # DATASET rows are one second apart from 2024-06-01T12:00:00Z, in DATASET order.
    code, out = run(
        "mismatches", "--db", filled, "--json", "--since", "2024-06-01T12:00:05Z",
        "--until", "2024-06-01T14:00:12+02:00",
    )  # fmt: skip
    assert code == 0, out
    report = json.loads(out)
    # Reports count whole minutes: the bounds widen to 12:00-12:01, all of DATASET.
    assert report["since"].startswith("2024-06-01T12:00:00")
    assert report["until"].startswith("2024-06-01T12:01:00")
    totals = {e["endpoint"]: e["total"] for e in report["endpoints"]}
    assert totals == {name: sum(verdicts.values()) for name, verdicts in DATASET.items()}

    code, out = run("mismatches", "--db", filled, "--json", "--until", "2024-06-01T12:00:00Z")
    assert code == 0 and json.loads(out)["endpoints"] == []

    code, out = run("mismatches", "--db", filled, "--json", "--endpoint", "query GetCart")
    assert [e["endpoint"] for e in json.loads(out)["endpoints"]] == ["query GetCart"]


def test_mismatches_relative_since_is_relative_to_now(db: str) -> None:
    storage.upgrade(db)
    now = datetime.now(UTC)
    storage.ResultWriter(storage.connect(db), rules_version="r").write(
        [make_result("old", at=now - timedelta(hours=2)), make_result("new", at=now)]
    )
    code, out = run("mismatches", "--db", db, "--json", "--since", "1h")
    assert code == 0, out
    assert json.loads(out)["endpoints"][0]["examples"] == ["new"]


def test_mismatches_bad_time_is_a_usage_error(filled: str) -> None:
    code, out = run("mismatches", "--db", filled, "--since", "last tuesday")
    assert code == 2 and "--since" in out and "15m" in out


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("999999999d", None, "--since: '999999999d' reaches too far back"),
        ("2025-01-07", "2025-01-05", "--until: '2025-01-05' is not after --since"),
    ],
    ids=["too far back", "until before since"],
)
def test_mismatches_impossible_window_is_a_usage_error(
    filled: str, since: str, until: str | None, message: str
) -> None:
    code, out = run(
        "mismatches", "--db", filled, "--since", since, *(["--until", until] if until else [])
    )
    assert code == 2, out
    assert message in out


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.dat"
    junk.write_bytes(b"\x00\xffnot sqlite at all" * 10)
    code, out = run("mismatches", "--db", f"sqlite:///{junk}")
    assert code == 1
    assert "file is not a database" in out and "junk.dat" in out
    assert "Is the database running?" not in out  # no wait will mend it


def test_db_upgrade_to_an_unknown_revision_is_a_usage_error(db: str) -> None:
    code, out = run("db", "upgrade", "--db", db, "--revision", "9999")
    assert code == 2
    assert "9999" in out and "--revision" in out


def test_show_json_and_table(db: str) -> None:
    storage.upgrade(db)
    diffs = (
        Difference("/name", Kind.VALUE_CHANGED, "Ada", "Ada L."),
        Difference("header:cookie", Kind.HEADER, "s=1", None),
        Difference("/id", Kind.VALUE_CHANGED, 10**30, 10**30 + 1),  # past 64 bits
    )
    storage.ResultWriter(storage.connect(db), rules_version="r").write(
        [make_result("req-1", differences=diffs, signature="sig-9")]
    )
    code, out = run("show", "req-1", "--db", db, "--json")
    assert code == 0, out
    detail = json.loads(out)  # integers exact
    assert detail["request_id"] == "req-1"
    assert detail["verdict"] == "mismatch"
    assert detail["signature"] == "sig-9"
    assert detail["differences"][0] == {
        "path": "/name",
        "kind": "value_changed",
        "primary": "Ada",
        "candidate": "Ada L.",
    }
    assert detail["differences"][1]["primary"].startswith("redacted:")
    assert detail["differences"][2]["candidate"] == 10**30 + 1
    assert {"endpoint", "method", "observed_at", "rules_version"} <= set(detail)

    code, out = run("show", "req-1", "--db", db)
    assert code == 0, out
    assert "/name" in out and "Ada L." in out and "s=1" not in out
    assert str(10**30 + 1) in out


def test_show_unknown_request_is_an_answer_not_an_error(filled: str) -> None:
    code, out = run("show", "nope", "--db", filled)
    assert code == 0 and "no comparison for request 'nope'" in out


def test_missing_schema_says_to_upgrade(db: str) -> None:
    code, out = run("mismatches", "--db", db)
    assert code == 1 and "shadowdiff db upgrade" in out


def test_unreachable_database_names_the_url_without_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://me:hunter2@127.0.0.1:1/results")
    code, out = run("show", "req-1")
    assert code == 1
    assert "127.0.0.1:1/results" in out and "hunter2" not in out
    assert "DATABASE_URL" in out and "--db" in out


@pytest.mark.parametrize("command", [["mismatches"], ["show", "r1"], ["db", "current"]])
def test_reading_a_missing_sqlite_file_neither_creates_it_nor_asks_for_a_schema(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "typo.sqlite"
    code, out = run(*command, "--db", f"sqlite:///{missing}")
    assert code == 1
    assert "no database at" in out
    assert not missing.exists()
