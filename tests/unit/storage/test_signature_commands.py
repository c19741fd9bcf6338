"""`shadowdiff signatures` (the listing, as before) and its triage sub-commands over SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shadowdiff.commands import signatures
from tests.unit.storage.cli import filled_store, runner


@pytest.fixture
def filled(tmp_path: Path) -> str:
    return filled_store(tmp_path)


run = runner(signatures.command)


def listing(db: str, *args: str) -> dict[str, str]:
    code, out = run("signatures", "--db", db, "--json", *args)
    assert code == 0, out
    return {s["signature"]: s["status"] for s in json.loads(out)["signatures"]}


def test_the_listing_keeps_its_options_and_json_shape(filled: str) -> None:
    code, out = run(
        "signatures", "--db", filled, "--endpoint", "POST /orders", "--since",
        "2024-06-01T12:00Z", "--json",
    )  # fmt: skip
    assert code == 0, out
    report = json.loads(out)
    assert set(report) == {"run", "since", "until", "signatures", "noise", "secondary", "pruned"}
    assert report["noise"] == "include"
    assert report["secondary"] is False
    first = report["signatures"][0]
    assert set(first) == {
        "signature", "endpoint", "summary", "count", "first_seen", "last_seen", "status",
        "examples", "paths", "noise",
    }  # fmt: skip
    assert first["noise"] is None  # no secondary: not judged
    assert {s["endpoint"] for s in report["signatures"]} == {"POST /orders"}
    code, out = run("signatures", "--db", filled, "--limit", "1")
    assert code == 0 and "[new]" in out and "first seen" in out


def test_mark_then_the_queue_and_history(filled: str) -> None:
    before = listing(filled)
    target = sorted(before)[0]
    code, out = run("signatures", "mark", target, "expected", "--note", "by design",
                    "--db", filled)  # fmt: skip
    assert code == 0, out
    assert target in out and "expected" in out and "by design" in out
    assert listing(filled)[target] == "expected"
    queue = listing(filled, "--status", "new")
    assert target not in queue and set(queue) == set(before) - {target}
    code, out = run("signatures", "--db", filled, "history", "--json")  # --db on the group
    assert code == 0, out
    marks = json.loads(out)["marks"]
    assert [(m["signature"], m["status"], m["note"]) for m in marks] == [
        (target, "expected", "by design")
    ]


def test_the_groups_endpoint_applies_to_mark(filled: str) -> None:
    code, out = run("signatures", "--db", filled, "--json")
    on = {s["signature"]: s["endpoint"] for s in json.loads(out)["signatures"]}
    target, endpoint = next(iter(on.items()))
    other = next(e for e in on.values() if e != endpoint)
    code, out = run("signatures", "--db", filled, "--endpoint", other, "mark", target, "fixed")
    assert code == 1 and f"on endpoint {other!r}" in out  # not marked on every endpoint


def test_mark_errors_say_what_to_do(filled: str) -> None:
    code, out = run("signatures", "mark", "nope", "expected", "--db", filled)
    assert code == 1 and "no signature 'nope'" in out and "shadowdiff signatures" in out
    code, out = run("signatures", "mark", "nope", "wontfix", "--db", filled)
    assert code == 2 and "'wontfix' is not one of" in out
