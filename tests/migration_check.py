"""Upgrading a store that holds rows written at revision 0001 keeps every row.

Shared by the SQLite (unit) and PostgreSQL (integration) tests: the database is
brought to 0001, filled the way the 0001 writer stored rows (its tables, by
plain SQL), then upgraded to head.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

import storage
from storage import latency
from storage.signature_report import signature_report
from tests import rollup_recount

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
REQUESTS = 120


def _fill_0001(engine: sa.Engine) -> None:
    comparisons, differences = [], []
    for i in range(REQUESTS):
        run = "live" if i % 4 else "rerun"
        verdict = ("match", "mismatch", "missing_candidate")[i % 3]
        at = T0 + timedelta(hours=i)  # five days, so several partitions
        signature = None if verdict == "match" else f"sig-{verdict}"
        comparisons.append(
            {
                "run_id": run,
                "request_id": f"r{i:03d}",
                "endpoint": f"GET /e{i % 2}",
                "method": "GET",
                "observed_at": at,
                "verdict": verdict,
                "primary_status": 200,
                "candidate_status": None if verdict == "missing_candidate" else 200,
                "primary_latency_ms": 10.0 + i,
                "candidate_latency_ms": None if verdict == "missing_candidate" else 12.0 + i,
                "signature": signature,
                "rules_version": "v1",
                "stored_at": at,
            }
        )
        if verdict == "mismatch":
            for seq, path in enumerate(("/items/3/price", "/name")):
                differences.append(
                    {
                        "run_id": run,
                        "request_id": f"r{i:03d}",
                        "seq": seq,
                        "path": path,
                        "kind": "value_changed",
                        "primary_value": "1",
                        "candidate_value": "2",
                    }
                )
    signatures = [
        {
            "signature": f"sig-{v}",
            "endpoint": f"GET /e{e}",
            "summary": f"summary of {v} on e{e}",
            "first_seen": T0,
            "last_seen": T0,
            "count": 1,
            "example_request_ids": "[]",
            "status": "expected" if v == "mismatch" else "new",
        }
        for v in ("mismatch", "missing_candidate")
        for e in (0, 1)
    ]
    meta = sa.MetaData()
    meta.reflect(engine, only=["runs", "comparisons", "differences", "signatures"])
    with engine.begin() as connection:
        for run in ("live", "rerun"):
            connection.execute(
                meta.tables["runs"].insert(),
                {
                    "id": run,
                    "kind": "live" if run == "live" else "reprocess",
                    "rules_version": "v1",
                    "created_at": T0,
                },
            )
        connection.execute(meta.tables["comparisons"].insert(), comparisons)
        connection.execute(meta.tables["differences"].insert(), differences)
        connection.execute(meta.tables["signatures"].insert(), signatures)


def check_upgrade_keeps_every_row(url: str) -> None:
    storage.upgrade(url, revision="0001")
    engine = storage.connect(url)
    try:
        _fill_0001(engine)
        storage.upgrade(engine)
        assert storage.current_revision(engine) == storage.head_revision()
        with engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM comparisons")).scalar_one()
            diffs = connection.execute(
                sa.text(
                    "SELECT d.request_id, d.path FROM differences AS d JOIN comparisons AS c "
                    "ON c.run_id = d.run_id AND c.request_id = d.request_id "
                    "AND c.observed_at = d.observed_at ORDER BY 1, 2"
                )
            ).all()
            signatures = {
                (row.run_id, row.signature, row.endpoint): row
                for row in connection.execute(sa.text("SELECT * FROM signatures"))
            }
        assert count == REQUESTS
        assert len(diffs) == 2 * sum(1 for i in range(REQUESTS) if i % 3 == 1)
        for run in ("live", "rerun"):
            assert rollup_recount.stored(engine, run) == rollup_recount.recounted(engine, run)
        minutes, _ = rollup_recount.stored(engine, "live")
        assert sum(f[0] for f in minutes.values()) == sum(1 for i in range(REQUESTS) if i % 4)
        live = signatures[("live", "sig-mismatch", "GET /e1")]
        assert live.summary == "summary of mismatch on e1"
        assert live.status == "expected"
        assert "/items/[*]/price" in live.paths
        assert live.count == sum(1 for i in range(REQUESTS) if i % 4 and i % 3 == 1 and i % 2)
        shown = {(s.signature, s.endpoint): s.status for s in signature_report(engine).signatures}
        assert shown[("sig-mismatch", "GET /e1")] == "expected"  # triage carried over as a mark
        assert shown[("sig-missing_candidate", "GET /e1")] == "new"
        report = storage.mismatch_report(engine, run_id="rerun")
        assert sum(e.total for e in report.endpoints) == REQUESTS // 4
        assert latency.bucket(11.0) in minutes[("GET /e1", T0 + timedelta(hours=1))][2]
    finally:
        engine.dispose()
