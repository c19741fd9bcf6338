"""Triage of signatures and readiness's read, held to one contract on SQLite and PostgreSQL.

Mixed into the store contract's test classes (`StoreContract` supplies the
`engine` fixture): marks are kept as history, a signature's status is its
latest mark in every run, a fixed one seen after its mark is regressed, and
readiness reads what triage decided.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import storage
from comparator.model import Difference, Kind, Verdict
from storage import latency, triage
from storage.noise_sample import difference_sample
from storage.readiness import readiness_traffic
from storage.signature_report import signature_report
from tests.storage_contract import RULES, T0, make_result

NAME = Difference("/name", Kind.VALUE_CHANGED, "Ada", "Ada L.")
TOTAL = Difference("/total", Kind.VALUE_CHANGED, 1, 2)


def _statuses(engine: sa.Engine, run_id: str = "live") -> dict[str, str]:
    return {s.summary: s.status for s in signature_report(engine, run_id=run_id).signatures}


class TriageContract:
    def _write(self, engine: sa.Engine, run_id: str = "live") -> None:
        writer = storage.ResultWriter(engine, run_id=run_id, rules_version=RULES)
        writer.write(
            [
                make_result(f"{run_id}-n{i}", differences=[NAME], summary="name", signature="aaaa1")
                for i in range(3)
            ]
            + [make_result(f"{run_id}-t", differences=[TOTAL], summary="total", signature="bbbb2")]
        )

    def test_a_mark_is_the_status_in_every_run_and_history_is_kept(self, engine: sa.Engine) -> None:
        self._write(engine)
        self._write(engine, run_id="rerun")
        assert _statuses(engine) == {"name": "new", "total": "new"}
        made = triage.mark(engine, "aaaa1", "expected", now=T0, note="renamed on purpose")
        assert [(m.signature, m.endpoint, m.status) for m in made] == [
            ("aaaa1", "GET /users/{id}", "expected")
        ]
        triage.mark(engine, "aaaa1", "new", now=T0 + timedelta(minutes=1))
        triage.mark(engine, "aaaa", "expected", now=T0 + timedelta(minutes=2))  # a prefix
        for run_id in ("live", "rerun"):
            assert _statuses(engine, run_id) == {"name": "expected", "total": "new"}
        history = triage.history(engine, signature="aaaa1")
        assert [(m.status, m.note) for m in history] == [
            ("expected", "renamed on purpose"),
            ("new", None),
            ("expected", None),
        ]
        assert history[0].marked_at == T0
        queue = signature_report(engine, status="new").signatures
        assert [s.signature for s in queue] == ["bbbb2"]  # the triage queue
        assert [s.signature for s in signature_report(engine, status="expected").signatures] == [
            "aaaa1"
        ]

    def test_a_fixed_signature_seen_after_its_mark_is_regressed(self, engine: sa.Engine) -> None:
        self._write(engine)
        fixed_at = T0 + timedelta(hours=1)
        triage.mark(engine, "bbbb2", "fixed", now=fixed_at)
        assert _statuses(engine)["total"] == "fixed"  # seen only before the mark
        again = make_result(
            "later", differences=[TOTAL], summary="total", signature="bbbb2", at=fixed_at
        )
        storage.ResultWriter(engine, rules_version=RULES).write([again])
        assert _statuses(engine)["total"] == "fixed"  # at the mark's instant: not after it
        storage.ResultWriter(engine, rules_version=RULES).write(
            [
                make_result(
                    "after",
                    differences=[TOTAL],
                    signature="bbbb2",
                    at=fixed_at + timedelta(seconds=1),
                )
            ]
        )
        assert _statuses(engine)["total"] == "regressed"
        regressed = signature_report(engine, status="regressed").signatures
        assert [s.signature for s in regressed] == ["bbbb2"]
        assert signature_report(engine, status="fixed").signatures == ()

    def test_marks_are_per_endpoint_when_one_is_named(self, engine: sa.Engine) -> None:
        writer = storage.ResultWriter(engine, rules_version=RULES)
        writer.write(
            [
                make_result("u", differences=[NAME], signature="cccc3", endpoint="GET /users/{id}"),
                make_result("o", differences=[NAME], signature="cccc3", endpoint="POST /orders"),
            ]
        )
        triage.mark(engine, "cccc3", "expected", now=T0, endpoint="POST /orders")
        shown = {s.endpoint: s.status for s in signature_report(engine).signatures}
        assert shown == {"GET /users/{id}": "new", "POST /orders": "expected"}
        both = triage.mark(engine, "cccc3", "fixed", now=T0)
        assert {m.endpoint for m in both} == {"GET /users/{id}", "POST /orders"}

    def test_unknown_or_ambiguous_signatures_are_refused(self, engine: sa.Engine) -> None:
        self._write(engine)
        storage.ResultWriter(engine, rules_version=RULES).write(
            [make_result("x", differences=[TOTAL], signature="aaaa9")]
        )
        with pytest.raises(triage.TriageError, match="no signature 'zzzz'"):
            triage.mark(engine, "zzzz", "expected", now=T0)
        with pytest.raises(triage.TriageError, match="names 2 signatures"):
            triage.mark(engine, "aaaa", "expected", now=T0)
        with pytest.raises(triage.TriageError, match="on endpoint 'POST /orders'"):
            triage.mark(engine, "aaaa1", "expected", now=T0, endpoint="POST /orders")
        with pytest.raises(triage.TriageError, match="unknown status"):
            triage.mark(engine, "aaaa1", "wontfix", now=T0)
        assert triage.history(engine) == ()

    def test_readiness_traffic_counts_expected_and_open_problems(self, engine: sa.Engine) -> None:
        writer = storage.ResultWriter(engine, rules_version=RULES)
        writer.write(
            [
                make_result(f"m{i}", verdict=Verdict.MATCH, at=T0 + timedelta(seconds=i))
                for i in range(6)
            ]
            + [make_result(f"n{i}", differences=[NAME], signature="aaaa1") for i in range(3)]
            + [
                make_result(
                    "t", differences=[TOTAL], signature="bbbb2", at=T0 + timedelta(minutes=3)
                )
            ]
            + [make_result("o", endpoint="POST /orders", verdict=Verdict.MATCH)]
        )
        window = {"since": T0, "until": T0 + timedelta(hours=1)}
        users, orders = readiness_traffic(engine, **window)
        assert (users.endpoint, orders.endpoint) == ("GET /users/{id}", "POST /orders")
        assert users.verdicts == {"match": 6, "mismatch": 4}
        assert (users.expected, users.open_signatures) == (0, 2)
        assert users.last_new_problem == T0 + timedelta(minutes=3)
        assert users.first_minute == T0
        assert sum(users.primary_latency.values()) == 10
        assert latency.bucket(9.0) in users.candidate_latency
        assert (orders.verdicts, orders.open_signatures, orders.last_new_problem) == (
            {"match": 1},
            0,
            None,
        )

        triage.mark(engine, "bbbb2", "expected", now=T0)
        (users,) = readiness_traffic(engine, endpoint="GET /users/{id}", **window)
        assert (users.expected, users.open_signatures) == (1, 1)
        assert users.last_new_problem == T0  # the newest problem not marked expected
        triage.mark(engine, "aaaa1", "fixed", now=T0 - timedelta(minutes=1))  # seen since
        (users,) = readiness_traffic(engine, endpoint="GET /users/{id}", **window)
        assert (users.expected, users.open_signatures) == (1, 1)  # regressed: still open
        assert (
            readiness_traffic(engine, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=2))
            == ()
        )

    def test_difference_sample_reads_the_latest_compared_requests(self, engine: sa.Engine) -> None:
        writer = storage.ResultWriter(engine, rules_version=RULES)
        big = Difference("/id", Kind.VALUE_CHANGED, 10**30, 10**30 + 1)
        writer.write(
            [
                make_result(f"m{i}", verdict=Verdict.MATCH, at=T0 + timedelta(seconds=i))
                for i in range(5)
            ]
            + [
                make_result(f"d{i}", differences=[NAME, big], at=T0 + timedelta(seconds=10 + i))
                for i in range(4)
            ]
            + [
                make_result(
                    "orphan", verdict=Verdict.MISSING_CANDIDATE, at=T0 + timedelta(seconds=30)
                )
            ]
        )
        window = {"since": T0, "until": T0 + timedelta(hours=1)}
        (sample,) = difference_sample(engine, **window)
        assert sample.endpoint == "GET /users/{id}" and sample.compared == 9  # no orphan
        assert len(sample.differences) == 8
        first = sample.differences[0]
        assert (first.request_id, first.path, first.kind) == ("d3", "/name", "value_changed")
        assert (first.primary, first.candidate) == ("Ada", "Ada L.")
        assert sample.differences[1].candidate == 10**30 + 1  # exact past 64 bits
        (latest,) = difference_sample(engine, per_endpoint=3, **window)
        assert latest.compared == 3 and {d.request_id for d in latest.differences} == {
            "d1",
            "d2",
            "d3",
        }
        assert difference_sample(engine, endpoint="POST /orders", **window) == ()
