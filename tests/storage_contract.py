"""One contract for the result store, run against SQLite and real PostgreSQL.

A test module subclasses `StoreContract` and provides two fixtures:
`db_url` (a fresh, empty database) and `unreachable_url` (one that cannot be
reached). Everything else is shared, so both backends are held to the same
behaviour.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import storage
from comparator.model import Comparison, Difference, Kind, Result, Verdict
from storage import compaction, latency, models, retention, rollups
from storage.models import metadata
from storage.partitions import is_partition
from storage.redaction import MARKER_PREFIX, Redactor
from storage.signature_report import signature_report
from storage.timeseries import timeseries
from tests import rollup_recount

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
RULES = "rules-v1"


def make_result(
    request_id: str,
    *,
    endpoint: str = "GET /users/{id}",
    verdict: Verdict = Verdict.MISMATCH,
    at: datetime = T0,
    differences: Sequence[Difference] = (),
    signature: str | None = None,
    summary: str = "",
) -> Result:
    if verdict is Verdict.MISMATCH and not differences:
        differences = (Difference("/name", Kind.VALUE_CHANGED, "Ada", "Ada L."),)
    if signature is None and verdict is not Verdict.MATCH:
        # As the comparator names a problem: endpoint, verdict and the set of
        # (path template, kind) of the mismatching differences.
        problem = sorted(
            {(re.sub(r"/\d+(?=/|$)", "/[*]", d.path), d.kind.value) for d in differences}
            - {(d.path, Kind.NUMERIC_TOLERANCE.value) for d in differences}
        )
        signature = f"sig-{endpoint}-{verdict.value}-{problem}"
    primary = None if verdict in (Verdict.MISSING_PRIMARY, Verdict.ERROR_PRIMARY) else 200
    candidate = None if verdict in (Verdict.MISSING_CANDIDATE, Verdict.ERROR_CANDIDATE) else 200
    return Result(
        request_id=request_id,
        endpoint=endpoint,
        method=endpoint.split(" ", 1)[0],
        observed_at=at,
        primary_status=primary,
        candidate_status=candidate,
        primary_latency_ms=12.5 if primary else None,
        candidate_latency_ms=9.0 if candidate else None,
        comparison=Comparison(
            verdict=verdict,
            differences=tuple(differences),
            rules_version=RULES,
            signature=signature,
            summary=summary,
        ),
    )


def include_partitions_not(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and name is not None and is_partition(name))


def count_rows(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def signature_rows(engine: sa.Engine) -> dict[tuple[str, str, str], dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(storage.models.signatures)).mappings().all()
    return {(row["run_id"], row["signature"], row["endpoint"]): dict(row) for row in rows}


# A known data set: per endpoint, how many results of each verdict, one second apart.
DATASET: dict[str, dict[Verdict, int]] = {
    "GET /users/{id}": {
        Verdict.MATCH: 5,
        Verdict.MISMATCH: 3,
        Verdict.ERROR_CANDIDATE: 1,
        Verdict.MISSING_CANDIDATE: 2,
        Verdict.MISSING_PRIMARY: 1,
    },
    "POST /orders": {Verdict.MATCH: 2, Verdict.MISMATCH: 6, Verdict.ERROR_BOTH: 1},
    "query GetCart": {Verdict.MATCH: 4},
}


def dataset() -> list[Result]:
    """DATASET as results; mismatches differ at /total always and /items/0 every other one."""
    results = []
    i = 0
    for endpoint, verdicts in DATASET.items():
        for verdict, n in verdicts.items():
            for k in range(n):
                diffs: list[Difference] = []
                if verdict is Verdict.MISMATCH:
                    diffs.append(Difference("/total", Kind.VALUE_CHANGED, 10, 11))
                    if k % 2 == 0:
                        diffs.append(Difference("/items/0", Kind.FIELD_MISSING, {"a": 1}, None))
                    diffs.append(Difference("/price", Kind.NUMERIC_TOLERANCE, 1.0, 1.0001))
                results.append(
                    make_result(
                        f"req-{i:04d}",
                        endpoint=endpoint,
                        verdict=verdict,
                        at=T0 + timedelta(seconds=i),
                        differences=diffs,
                    )
                )
                i += 1
    return results


class StoreContract:
    """The behaviour every result-store backend must show."""

    @pytest.fixture
    def db_url(self) -> Iterator[str]:
        raise NotImplementedError("a backend's test module provides db_url")

    @pytest.fixture
    def unreachable_url(self) -> str:
        raise NotImplementedError("a backend's test module provides unreachable_url")

    @pytest.fixture
    def engine(self, db_url: str) -> Iterator[sa.Engine]:
        engine = storage.connect(db_url)
        storage.upgrade(engine)
        yield engine
        engine.dispose()

    # -- schema ------------------------------------------------------------

    def test_upgrade_head_creates_the_schema(self, db_url: str) -> None:
        engine = storage.connect(db_url)
        assert storage.current_revision(engine) is None
        storage.upgrade(db_url)
        names = set(sa.inspect(engine).get_table_names())
        assert {"runs", "comparisons", "differences", "signatures"} <= names
        assert storage.current_revision(engine) == storage.head_revision()
        storage.upgrade(engine)  # again: a no-op, not an error
        assert storage.current_revision(engine) == storage.head_revision()
        engine.dispose()

    def test_migration_matches_the_models(self, engine: sa.Engine) -> None:
        with engine.connect() as connection:
            opts = {"compare_type": False, "include_name": include_partitions_not}
            context = MigrationContext.configure(connection, opts=opts)
            drift = compare_metadata(context, metadata)
        assert drift == []

    def test_every_verdict_and_kind_passes_the_check_constraints(self, engine: sa.Engine) -> None:
        kinds = tuple(Difference(f"/k/{k.value}", k, 1, 2) for k in Kind)
        results = [
            make_result(f"v-{v.value}", verdict=v, differences=kinds if v is Verdict.MATCH else ())
            for v in Verdict
        ]
        writer = storage.ResultWriter(engine, rules_version=RULES)
        assert writer.write(results) == len(Verdict)
        # every kind on the match, plus the default difference of the mismatch
        assert count_rows(engine, "differences") == len(Kind) + 1

    def test_unknown_verdict_and_kind_are_rejected(self, engine: sa.Engine) -> None:
        storage.ResultWriter(engine, rules_version=RULES).write([make_result("r1")])
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE comparisons SET verdict = 'maybe' WHERE request_id = 'r1'")
            )
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text("UPDATE differences SET kind = 'vibes'"))

    def test_unmigrated_database_reports_schema_missing(self, db_url: str) -> None:
        engine = storage.connect(db_url)
        with pytest.raises(storage.SchemaMissing, match="shadowdiff db upgrade"):
            storage.mismatch_report(engine)
        engine.dispose()

    def test_unreachable_database_raises_store_unavailable(self, unreachable_url: str) -> None:
        engine = storage.connect(unreachable_url)
        with pytest.raises(storage.StoreUnavailable) as caught:
            storage.ResultWriter(engine, rules_version=RULES)
        assert "secret" not in str(caught.value)

    # -- writing -----------------------------------------------------------

    def test_write_then_read_back(self, engine: sa.Engine) -> None:
        diffs = (
            Difference("/name", Kind.VALUE_CHANGED, "Ada", "Ada L."),
            Difference("/tags", Kind.ARRAY_ORDER, ["a", "b"], ["b", "a"]),
            Difference("/extra", Kind.FIELD_ADDED, None, {"deep": [1, 2.5, None, True]}),
        )
        result = make_result("r1", differences=diffs, signature="sig-1", summary="name changed")
        writer = storage.ResultWriter(engine, rules_version=RULES)
        assert writer.write([result]) == 1

        detail = storage.comparison_detail(engine, "r1")
        assert detail is not None
        assert detail.request_id == result.request_id
        assert detail.endpoint == result.endpoint
        assert detail.method == result.method
        assert detail.observed_at == result.observed_at
        assert detail.observed_at.tzinfo is not None
        assert detail.verdict == result.comparison.verdict.value
        assert (detail.primary_status, detail.candidate_status) == (200, 200)
        assert detail.primary_latency_ms == result.primary_latency_ms
        assert detail.signature == "sig-1"
        assert detail.rules_version == RULES
        assert [(d.path, d.kind, d.primary, d.candidate) for d in detail.differences] == [
            (d.path, d.kind.value, d.primary, d.candidate) for d in diffs
        ]

    def test_observed_at_in_another_zone_is_stored_as_the_same_instant(
        self, engine: sa.Engine
    ) -> None:
        plus_two = T0.astimezone(timezone(timedelta(hours=2)))
        storage.ResultWriter(engine, rules_version=RULES).write([make_result("r1", at=plus_two)])
        detail = storage.comparison_detail(engine, "r1")
        assert detail is not None and detail.observed_at == T0

    def test_replayed_batch_is_skipped_and_not_counted(self, engine: sa.Engine) -> None:
        batch = dataset()
        writer = storage.ResultWriter(engine, rules_version=RULES)
        assert writer.write(batch) == len(batch)
        tables = ("comparisons", "differences", "signatures", "runs")
        before = {t: count_rows(engine, t) for t in tables}
        signatures_before = signature_rows(engine)

        assert writer.write(batch) == 0
        # A fresh writer (a restarted worker) replaying part of it also adds nothing.
        again = storage.ResultWriter(engine, rules_version=RULES)
        assert again.write(batch[3:9]) == 0

        assert {t: count_rows(engine, t) for t in tables} == before
        assert signature_rows(engine) == signatures_before

    def test_a_request_seen_again_with_other_sides_is_stored_once(self, engine: sa.Engine) -> None:
        # A restart re-reads only the candidate of a pair stored before the
        # kill: a missing_primary at the candidate's own start time follows.
        writer = storage.ResultWriter(engine, rules_version=RULES)
        assert writer.write([make_result("r1", at=T0)]) == 1
        again = make_result(
            "r1", at=T0 + timedelta(milliseconds=4), verdict=Verdict.MISSING_PRIMARY
        )
        assert writer.write([again, make_result("r2", at=T0)]) == 1
        assert count_rows(engine, "comparisons") == 2
        # The other way round: the candidate alone first, then (a replay from
        # further back) both sides, under the primary's earlier start.
        lonely = make_result("r3", at=T0 + timedelta(seconds=9), verdict=Verdict.MISSING_PRIMARY)
        assert writer.write([lonely]) == 1
        assert writer.write([make_result("r3", at=T0 + timedelta(seconds=8))]) == 0
        assert count_rows(engine, "comparisons") == 3
        assert rollup_recount.stored(engine, "live") == rollup_recount.recounted(engine, "live")

    def test_overlapping_batch_stores_and_counts_only_new_rows(self, engine: sa.Engine) -> None:
        results = [make_result(f"r{i}", at=T0 + timedelta(minutes=i)) for i in range(6)]
        writer = storage.ResultWriter(engine, rules_version=RULES)
        assert writer.write(results[:4]) == 4
        assert writer.write(results[2:]) == 2
        # A request repeated inside one batch is one row.
        assert writer.write([results[0], make_result("r9"), make_result("r9")]) == 1

        assert count_rows(engine, "comparisons") == 7
        (row,) = signature_rows(engine).values()
        assert row["count"] == 7
        assert row["first_seen"] == T0
        assert row["last_seen"] == T0 + timedelta(minutes=5)

    def test_signature_keeps_its_first_examples_topping_up_to_three(
        self, engine: sa.Engine
    ) -> None:
        writer = storage.ResultWriter(engine, rules_version=RULES)
        writer.write([make_result("a", at=T0 + timedelta(seconds=5), summary="the name")])
        writer.write([make_result(r, at=T0 + timedelta(seconds=i)) for i, r in enumerate("bcd")])
        (row,) = signature_rows(engine).values()
        assert orjson.loads(row["example_request_ids"]) == ["a", "b", "c"]
        assert row["summary"] == "the name"
        assert row["status"] == "new"
        assert row["first_seen"] == T0
        assert row["last_seen"] == T0 + timedelta(seconds=5)

    def test_large_batch_with_empty_columns_and_unicode(self, engine: sa.Engine) -> None:
        # Bigger than one multi-row statement chunk; statuses and latencies all
        # None in the batch; a NUL character (which PostgreSQL text refuses raw).
        orphans = [
            make_result(f"o-{i}", verdict=Verdict.MISSING_PRIMARY, signature="sig-o")
            for i in range(2500)
        ]
        odd = make_result(
            "ünï-😀",
            endpoint="GET /naïve/{id}",
            differences=(Difference("/ключ", Kind.VALUE_CHANGED, "é\u0000x", "\"'\n"),),
        )
        writer = storage.ResultWriter(engine, rules_version=RULES)
        assert writer.write(orphans) == 2500
        assert writer.write([odd]) == 1
        assert count_rows(engine, "comparisons") == 2501
        assert signature_rows(engine)[("live", "sig-o", "GET /users/{id}")]["count"] == 2500
        detail = storage.comparison_detail(engine, "ünï-😀")
        assert detail is not None and detail.endpoint == "GET /naïve/{id}"
        assert [(d.path, d.primary, d.candidate) for d in detail.differences] == [
            ("/ключ", "é\u0000x", "\"'\n")
        ]

    def test_naive_observed_at_is_refused(self, engine: sa.Engine) -> None:
        writer = storage.ResultWriter(engine, rules_version=RULES)
        with pytest.raises(ValueError, match="timezone-aware"):
            writer.write([make_result("r1", at=T0.replace(tzinfo=None))])
        assert count_rows(engine, "comparisons") == 0

    def test_runs_are_separate(self, engine: sa.Engine) -> None:
        live = storage.ResultWriter(engine, rules_version=RULES)
        rerun = storage.ResultWriter(engine, run_id="rerun-1", rules_version="rules-v2")
        assert live.write([make_result("r1")]) == 1
        assert rerun.write([make_result("r1", verdict=Verdict.MATCH)]) == 1
        with engine.connect() as connection:
            kinds = {r.id: r.kind for r in connection.execute(sa.text("SELECT id, kind FROM runs"))}
        assert kinds == {"live": "live", "rerun-1": "reprocess"}
        live_detail = storage.comparison_detail(engine, "r1")
        rerun_detail = storage.comparison_detail(engine, "r1", run_id="rerun-1")
        assert live_detail is not None and live_detail.verdict == "mismatch"
        assert rerun_detail is not None and rerun_detail.verdict == "match"

    def test_differences_carry_their_comparisons_event_time(self, engine: sa.Engine) -> None:
        late = T0 + timedelta(days=3, seconds=5)
        storage.ResultWriter(engine, rules_version=RULES).write([make_result("r1", at=late)])
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(models.differences.c.request_id, models.differences.c.observed_at)
            ).all()
        assert rows == [("r1", late)]

    # -- rollups -------------------------------------------------------------

    def test_rollups_equal_a_recount_after_replays_and_overlaps(self, engine: sa.Engine) -> None:
        results = dataset()
        writer = storage.ResultWriter(engine, rules_version=RULES)
        writer.write(results[:10])
        writer.write(results[5:20])  # overlapping
        writer.write(results)  # a whole replay
        writer.write(results[::-1])
        assert rollup_recount.stored(engine, "live") == rollup_recount.recounted(engine, "live")
        minutes, signatures = rollup_recount.stored(engine, "live")
        assert sum(figures[0] for figures in minutes.values()) == len(results)
        mismatches = sum(DATASET[e].get(Verdict.MISMATCH, 0) for e in DATASET)
        assert sum(figures[1].get("mismatch", 0) for figures in minutes.values()) == mismatches
        assert signatures  # mismatches and orphans have signatures

    def test_histograms_appended_then_folded_stay_exact(
        self, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(rollups, "FOLD_AT", 40)  # fold after a couple of batches
        writer = storage.ResultWriter(engine, rules_version=RULES)
        for batch in range(12):
            results = [
                replace(
                    make_result(f"b{batch}-{i}", at=T0 + timedelta(seconds=i)),
                    primary_latency_ms=1.5**i,
                    candidate_latency_ms=2.0 + batch,
                )
                for i in range(5)
            ]
            writer.write(results)
        with engine.connect() as connection:
            texts = connection.execute(sa.text("SELECT primary_latency FROM endpoint_minutes"))
            (stored_text,) = texts.scalars().all()
        assert len(stored_text) < 200  # folded, not a list of twelve
        assert rollup_recount.stored(engine, "live") == rollup_recount.recounted(engine, "live")

    def test_a_late_record_updates_the_minute_it_belongs_to(self, engine: sa.Engine) -> None:
        writer = storage.ResultWriter(engine, rules_version=RULES)
        writer.write([make_result("r1", at=T0 + timedelta(minutes=5))])
        writer.write([make_result("r0", at=T0 + timedelta(seconds=30), verdict=Verdict.MATCH)])
        writer.write([make_result("r2", at=T0 + timedelta(seconds=59))])
        minutes, _ = rollup_recount.stored(engine, "live")
        assert minutes[("GET /users/{id}", T0)][0:2] == (2, {"match": 1, "mismatch": 1})
        assert minutes[("GET /users/{id}", T0 + timedelta(minutes=5))][0] == 1
        hist = minutes[("GET /users/{id}", T0)][2]
        assert hist == {latency.bucket(12.5): 2}

    def test_rollups_and_signatures_are_per_run(self, engine: sa.Engine) -> None:
        storage.ResultWriter(engine, rules_version=RULES).write(dataset())
        storage.ResultWriter(engine, run_id="rerun", rules_version=RULES).write(dataset()[5:9])
        live_minutes, live_signatures = rollup_recount.stored(engine, "live")
        rerun_minutes, _ = rollup_recount.stored(engine, "rerun")
        assert sum(f[0] for f in live_minutes.values()) == len(dataset())
        assert sum(f[0] for f in rerun_minutes.values()) == 4
        counts = {(k[0], k[1], k[2]): v for k, v in signature_rows(engine).items()}
        assert {run for run, _, _ in counts} == {"live", "rerun"}
        live_total = sum(r["count"] for (run, _, _), r in counts.items() if run == "live")
        assert live_total == sum(live_signatures.values())

    # -- redaction ---------------------------------------------------------

    def test_secret_headers_never_reach_the_store(self, engine: sa.Engine) -> None:
        secrets = {
            "header:Authorization": ("Bearer primary-token", "Bearer candidate-token"),
            "header:cookie": ("session=abc123", "session=abc123"),
            "header:SET-COOKIE": ("id=xyz789; HttpOnly", None),
            "header:proxy-authorization": ("Basic dXNlcjpwYXNz", "Basic other"),
        }
        diffs = [Difference(p, Kind.HEADER, a, b) for p, (a, b) in secrets.items()]
        diffs.append(Difference("header:x-trace", Kind.HEADER, "t-1", "t-2"))
        writer = storage.ResultWriter(engine, rules_version=RULES, redaction_key=b"k1")
        writer.write([make_result("r1", differences=diffs)])

        stored = _stored_differences(engine)
        for primary, candidate in secrets.values():
            assert primary not in stored
            assert candidate is None or candidate not in stored

        detail = storage.comparison_detail(engine, "r1")
        assert detail is not None
        values = {d.path: (d.primary, d.candidate) for d in detail.differences}
        redactor = Redactor(b"k1")
        for path, (primary, candidate) in secrets.items():
            assert values[path][0] == redactor.marker(primary)
            assert values[path][0].startswith(MARKER_PREFIX)
            assert values[path][1] == (None if candidate is None else redactor.marker(candidate))
        cookie = values["header:cookie"]
        assert cookie[0] == cookie[1]  # equal secrets stay comparable
        assert values["header:x-trace"] == ("t-1", "t-2")

    def test_values_orjson_cannot_write_are_stored_exactly(self, engine: sa.Engine) -> None:
        # Integers past 64 bits and nesting past 255 levels: one such body must
        # not stop the writer (the worker would exit and meet it again).
        deep: Any = "leaf"
        for _ in range(300):
            deep = [deep]
        big = 123456789012345678901234567890
        diffs = [
            Difference("/id", Kind.VALUE_CHANGED, big, big + 1),
            Difference("/tree", Kind.VALUE_CHANGED, deep, None),
            Difference("/card", Kind.VALUE_CHANGED, big, None, redact=True),
        ]
        storage.ResultWriter(engine, rules_version=RULES, redaction_key=b"k1").write(
            [make_result("r1", differences=diffs)]
        )
        detail = storage.comparison_detail(engine, "r1")
        assert detail is not None
        values = {d.path: (d.primary, d.candidate) for d in detail.differences}
        assert values["/id"] == (big, big + 1)
        assert values["/tree"] == (deep, None)
        assert values["/card"] == (Redactor(b"k1").marker(big), None)

    def test_body_values_a_redact_rule_covers_never_reach_the_store(
        self, engine: sa.Engine
    ) -> None:
        card = Difference(
            "/payment/card", Kind.VALUE_CHANGED, "4111-1111", "4242-4242", redact=True
        )
        total = Difference("/payment/total", Kind.VALUE_CHANGED, 5, 6)
        writer = storage.ResultWriter(engine, rules_version=RULES, redaction_key=b"k1")
        writer.write([make_result("r1", differences=[card, total])])

        stored = _stored_differences(engine)
        assert "4111-1111" not in stored and "4242-4242" not in stored
        detail = storage.comparison_detail(engine, "r1")
        assert detail is not None
        values = {d.path: (d.primary, d.candidate) for d in detail.differences}
        redactor = Redactor(b"k1")
        assert values["/payment/card"] == (
            redactor.marker("4111-1111"),
            redactor.marker("4242-4242"),
        )
        assert values["/payment/total"] == (5, 6)

    # -- queries -----------------------------------------------------------

    def test_report_numbers_on_a_known_data_set(self, engine: sa.Engine) -> None:
        storage.ResultWriter(engine, rules_version=RULES).write(dataset())
        report = storage.mismatch_report(engine, top_paths=5, examples=2)

        by_name = {e.endpoint: e for e in report.endpoints}
        assert set(by_name) == set(DATASET)
        for name, verdicts in DATASET.items():
            entry = by_name[name]
            total = sum(verdicts.values())
            mismatches = verdicts.get(Verdict.MISMATCH, 0)
            orphans = sum(n for v, n in verdicts.items() if v.is_orphan)
            assert entry.total == total
            assert entry.mismatches == mismatches
            assert entry.orphans == orphans
            assert entry.mismatch_rate == pytest.approx(mismatches / total)
            assert entry.verdicts == {v.value: n for v, n in verdicts.items()}
            expected_paths = []
            if mismatches:
                expected_paths = [
                    ("/total", "value_changed", mismatches),
                    ("/items/[*]", "field_missing", (mismatches + 1) // 2),
                ]
            # numeric_tolerance differences are recorded but are not mismatching paths
            assert [(p.path, p.kind, p.count) for p in entry.top_paths] == expected_paths
            non_matching = total - verdicts.get(Verdict.MATCH, 0)
            assert len(entry.examples) == min(2, non_matching)

        assert [e.endpoint for e in report.endpoints] == sorted(
            DATASET, key=lambda n: -DATASET[n].get(Verdict.MISMATCH, 0)
        )
        # Examples are the most recent non-matching requests, mismatches first.
        users = by_name["GET /users/{id}"]
        newest_first = [r for r in dataset()[::-1] if r.endpoint == "GET /users/{id}"]
        mismatches_first = [
            r.request_id for r in newest_first if r.comparison.verdict is Verdict.MISMATCH
        ] + [
            r.request_id
            for r in newest_first
            if r.comparison.verdict not in (Verdict.MATCH, Verdict.MISMATCH)
        ]
        assert list(users.examples) == mismatches_first[:2]

        as_json = report.to_json()
        assert as_json["endpoints"][0]["endpoint"] == "POST /orders"
        assert as_json["endpoints"][0]["top_paths"][0] == {
            "path": "/total",
            "kind": "value_changed",
            "count": 6,
        }

    def test_top_paths_are_limited_per_endpoint(self, engine: sa.Engine) -> None:
        diffs = [Difference(f"/f{i}", Kind.VALUE_CHANGED, i, -i) for i in range(8)]
        storage.ResultWriter(engine, rules_version=RULES).write(
            [make_result("r1", differences=diffs), make_result("r2", differences=diffs[5:])]
        )
        (entry,) = storage.mismatch_report(engine, top_paths=3).endpoints
        assert [(p.path, p.count) for p in entry.top_paths] == [("/f5", 2), ("/f6", 2), ("/f7", 2)]

    def test_time_filters_are_half_open(self, engine: sa.Engine) -> None:
        results = [make_result(f"r{i}", at=T0 + timedelta(minutes=i)) for i in range(10)]
        storage.ResultWriter(engine, rules_version=RULES).write(results)

        def total(**kwargs: datetime) -> int:
            report = storage.mismatch_report(engine, **kwargs)  # type: ignore[arg-type]
            return sum(e.total for e in report.endpoints)

        assert total() == 10
        assert total(since=T0 + timedelta(minutes=3)) == 7
        assert total(until=T0 + timedelta(minutes=3)) == 3
        assert total(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=5)) == 3
        assert total(since=T0 + timedelta(hours=1)) == 0
        # An aware bound in another zone means the same instant.
        five_hours_behind = timezone(timedelta(hours=-5))
        assert total(since=(T0 + timedelta(minutes=3)).astimezone(five_hours_behind)) == 7

    def test_endpoint_and_run_filters(self, engine: sa.Engine) -> None:
        storage.ResultWriter(engine, rules_version=RULES).write(dataset())
        storage.ResultWriter(engine, run_id="other", rules_version=RULES).write(
            [make_result("x1", endpoint="GET /elsewhere")]
        )
        report = storage.mismatch_report(engine, endpoint="POST /orders")
        assert [e.endpoint for e in report.endpoints] == ["POST /orders"]
        assert report.endpoints[0].total == sum(DATASET["POST /orders"].values())
        other = storage.mismatch_report(engine, run_id="other")
        assert [(e.endpoint, e.total) for e in other.endpoints] == [("GET /elsewhere", 1)]
        assert storage.mismatch_report(engine, run_id="nothing-here").endpoints == ()

    def test_timeseries_buckets_count_what_was_stored(self, engine: sa.Engine) -> None:
        results = [
            make_result(
                f"r{i}",
                at=T0 + timedelta(minutes=i),
                verdict=Verdict.MISMATCH if i % 5 == 0 else Verdict.MATCH,
            )
            for i in range(30)
        ]
        results.append(
            make_result("o1", at=T0 + timedelta(minutes=2), verdict=Verdict.MISSING_PRIMARY)
        )
        results.append(make_result("e1", at=T0 + timedelta(minutes=7), verdict=Verdict.ERROR_BOTH))
        storage.ResultWriter(engine, rules_version=RULES).write(results)
        report = timeseries(engine, since=T0, until=T0 + timedelta(hours=1), step="15m")
        (series,) = report.series
        assert [b.start for b in series.buckets] == [
            T0 + timedelta(minutes=15 * i) for i in range(4)
        ]
        first = series.buckets[0]
        assert (first.total, first.mismatches, first.orphans, first.errors) == (17, 3, 1, 1)
        assert first.mismatch_rate == pytest.approx(3 / 17)
        assert [b.total for b in series.buckets] == [17, 15, 0, 0]
        # 12.5 ms and 9.0 ms for every request that has them, within half a bucket.
        assert first.primary.p50 == pytest.approx(12.5, rel=0.05)
        assert first.candidate.p95 == pytest.approx(9.0, rel=0.05)
        assert series.buckets[3].primary.p50 is None
        as_json = report.to_json()
        assert as_json["step"] == "15m" and as_json["series"][0]["endpoint"] == "GET /users/{id}"
        bucket = as_json["series"][0]["buckets"][0]
        assert set(bucket) >= {
            "start",
            "total",
            "mismatches",
            "mismatch_rate",
            "orphans",
            "errors",
            "latency_ms",
        }
        assert set(bucket["latency_ms"]["primary"]) == {"p50", "p95"}
        with pytest.raises(ValueError, match="too many"):
            timeseries(engine, since=T0, until=T0 + timedelta(days=30), step="1m")

    def test_compacted_spans_answer_like_the_minutes(self, engine: sa.Engine) -> None:
        """Time series read from compacted spans equal those read from the minutes,
        through late records, ragged window edges and every step."""
        rng = random.Random(11)
        writer = storage.ResultWriter(engine, rules_version=RULES)
        endpoints = ("GET /users/{id}", "GET /orders")
        results = [
            replace(
                make_result(
                    f"r{i}",
                    endpoint=endpoints[i % 2],
                    at=T0 + timedelta(seconds=37 * i),
                    verdict=Verdict.MISMATCH if i % 7 == 0 else Verdict.MATCH,
                ),
                primary_latency_ms=rng.lognormvariate(3.0, 0.6),
                candidate_latency_ms=rng.lognormvariate(3.2, 0.6),
            )
            for i in range(400)
        ]
        for start in range(0, len(results), 90):  # several batches: several fragments a minute
            writer.write(results[start : start + 90])
        windows = [(T0, T0 + timedelta(hours=4), step) for step in ("5m", "15m", "1h", "1d")] + [
            (T0 + timedelta(minutes=7), T0 + timedelta(minutes=93), "15m")
        ]

        def series(endpoint: str | None = None) -> list[Any]:
            return [
                timeseries(engine, since=a, until=b, step=step, endpoint=endpoint).to_json()
                for a, b, step in windows
            ]

        from_minutes = series(), series(endpoints[0])
        done = compaction.compact(engine)
        assert done.spans == count_rows(engine, "latency_spans") > 0
        assert (series(), series(endpoints[0])) == from_minutes
        assert compaction.compact(engine).spans == 0  # nothing changed since

        # A late record makes its span stale: read from the minutes until compacted again.
        late = replace(make_result("late", at=T0 + timedelta(minutes=31)), primary_latency_ms=900.0)
        writer.write([late])
        # The periodic pass looks back an hour from the latest minute (T0 + 4 h): not there.
        assert compaction.compact(engine, lookback=timedelta(hours=1)).stale == 0
        stale = series()
        with engine.begin() as connection:
            connection.execute(sa.delete(models.latency_spans))
        assert series() == stale  # what the minutes alone say
        assert compaction.compact(engine, lookback=timedelta(hours=4)).stale > 0
        compaction.compact(engine)
        assert compaction.compact(engine).stale == 0 and series() == stale

        # The reader does trust a span that is still true to its minutes.
        with engine.begin() as connection:
            connection.execute(
                sa.update(models.latency_spans)
                .where(models.latency_spans.c.span == compaction.span_of(T0))
                .values(primary_latency="[1, 1000]")
            )
        first = timeseries(engine, since=T0, until=T0 + timedelta(minutes=5), step="5m")
        assert first.series[0].buckets[0].primary.p50 == latency.middle_ms(1)

    def test_signature_report_counts_the_window(self, engine: sa.Engine) -> None:
        name = Difference("/name", Kind.VALUE_CHANGED, "a", "b")
        items = Difference("/items/4/price", Kind.VALUE_CHANGED, 1, 2)
        results = [
            make_result(f"n{i}", at=T0 + timedelta(minutes=i), differences=[name], summary="n")
            for i in range(6)
        ] + [
            make_result(f"i{i}", at=T0 + timedelta(minutes=10 + i), differences=[items])
            for i in range(3)
        ]
        storage.ResultWriter(engine, rules_version=RULES).write(results)
        everything = signature_report(engine)
        assert [s.count for s in everything.signatures] == [6, 3]
        top = everything.signatures[0]
        assert top.summary == "n" and top.first_seen == T0 and top.status == "new"
        assert top.last_seen == T0 + timedelta(minutes=5)
        assert top.examples == ("n0", "n1", "n2")
        assert everything.signatures[1].paths == (("/items/[*]/price", "value_changed"),)
        later = signature_report(engine, since=T0 + timedelta(minutes=4))
        assert [s.count for s in later.signatures] == [3, 2]
        assert signature_report(engine, endpoint="GET /other").signatures == ()
        assert signature_report(engine, status="fixed").signatures == ()
        as_json = later.to_json()
        assert set(as_json["signatures"][0]) >= {
            "signature",
            "endpoint",
            "summary",
            "count",
            "first_seen",
            "last_seen",
            "status",
            "examples",
        }

    def test_window_counts_from_hours_and_edge_minutes_equal_the_rows(
        self, engine: sa.Engine
    ) -> None:
        diffs = [Difference("/a", Kind.VALUE_CHANGED, 1, 2)], [Difference("/b", Kind.FIELD_MISSING)]
        results = [
            make_result(f"r{i}", at=T0 + timedelta(minutes=7 * i), differences=diffs[i % 2])
            for i in range(60)  # seven hours, every seven minutes
        ]
        storage.ResultWriter(engine, rules_version=RULES).write(results)
        windows = [
            (T0 + timedelta(minutes=10), T0 + timedelta(minutes=50)),  # inside one hour
            (T0 + timedelta(minutes=13), T0 + timedelta(hours=4, minutes=20)),  # ragged
            (T0 + timedelta(hours=1), T0 + timedelta(hours=3)),  # whole hours
            (None, T0 + timedelta(hours=2, minutes=30)),
            (T0 + timedelta(hours=5, minutes=5), None),
        ]
        for since, until in windows:
            expected: dict[str | None, int] = {}
            for r in results:
                if (since is None or r.observed_at >= since) and (
                    until is None or r.observed_at < until
                ):
                    sig = r.comparison.signature
                    expected[sig] = expected.get(sig, 0) + 1
            report = signature_report(engine, since=since, until=until)
            assert {s.signature: s.count for s in report.signatures} == expected, (since, until)

    def test_prune_keeps_rollups_and_says_what_is_gone(self, engine: sa.Engine) -> None:
        old, recent = T0, T0 + timedelta(days=40)
        storage.ResultWriter(engine, rules_version=RULES).write(
            [make_result("old", at=old), make_result("new", at=recent)]
        )
        now = recent + timedelta(hours=1)
        dry = retention.prune(
            engine,
            now=now,
            raw_older_than=timedelta(days=30),
            rollups_older_than=None,
            dry_run=True,
        )
        assert count_rows(engine, "comparisons") == 2 and dry.dry_run
        done = retention.prune(
            engine, now=now, raw_older_than=timedelta(days=30), rollups_older_than=None
        )
        assert done.raw_before == datetime(2024, 6, 11, tzinfo=UTC)
        assert count_rows(engine, "comparisons") == 1
        assert count_rows(engine, "differences") == 1
        assert storage.comparison_detail(engine, "old") is None
        report = storage.mismatch_report(engine)
        assert sum(e.total for e in report.endpoints) == 2  # counts outlive the raw rows
        assert report.pruned.raw_before == done.raw_before
        assert report.to_json()["pruned"]["raw_before"].startswith("2024-06-11")
        assert storage.mismatch_report(engine, since=recent).pruned.raw_before is None

        retention.prune(engine, now=now, raw_older_than=None, rollups_older_than=timedelta(days=30))
        report = storage.mismatch_report(engine)
        assert sum(e.total for e in report.endpoints) == 1
        assert report.pruned.rollups_before == done.raw_before
        series = timeseries(engine, since=old, until=old + timedelta(days=2), step="1d")
        assert series.series == ()  # nothing left there, and the buckets would say pruned
        series = timeseries(engine, since=recent - timedelta(days=35), until=now, step="1d")
        assert series.series[0].buckets[0].pruned and not series.series[0].buckets[-1].pruned

    def test_show_unknown_request_is_none(self, engine: sa.Engine) -> None:
        storage.ResultWriter(engine, rules_version=RULES).write([make_result("r1")])
        assert storage.comparison_detail(engine, "r2") is None
        assert storage.comparison_detail(engine, "r1", run_id="other") is None

    def test_show_orphan_has_no_differences(self, engine: sa.Engine) -> None:
        orphan = make_result("o1", verdict=Verdict.MISSING_CANDIDATE)
        storage.ResultWriter(engine, rules_version=RULES).write([orphan])
        detail = storage.comparison_detail(engine, "o1")
        assert detail is not None
        assert detail.verdict == "missing_candidate"
        assert detail.candidate_status is None and detail.candidate_latency_ms is None
        assert detail.differences == ()
        assert detail.to_json()["differences"] == []


def _stored_differences(engine: sa.Engine) -> str:
    """Every column of every stored difference, as one text: what the store holds."""
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM differences"))
        return " ".join(str(v) for row in rows for v in row)
