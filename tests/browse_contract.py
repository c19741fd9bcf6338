"""The store's browsing queries (comparison pages, one signature, runs) held to one contract.

Mixed into the SQLite and PostgreSQL store tests beside `StoreContract`,
whose `engine` fixture (a fresh, migrated database) it uses.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import storage
from comparator.model import Difference, Kind, Verdict
from storage.comparison_list import BadPageToken, list_comparisons
from storage.runs import list_runs
from storage.signature_report import signature_detail
from tests.storage_contract import RULES, T0, dataset, make_result


class BrowseContract:
    """Paging, filters and look-ups every backend must answer alike."""

    def test_pages_walk_every_row_once_newest_first(self, engine: sa.Engine) -> None:
        results = dataset()
        # Two rows at one instant: the page boundary must split them by request id.
        results.append(make_result("req-tie", at=results[-1].observed_at))
        storage.ResultWriter(engine, rules_version=RULES).write(results)
        seen: list[str] = []
        token = None
        pages = 0
        while True:
            page = list_comparisons(engine, page_size=4, page_token=token)
            seen += [c.request_id for c in page.comparisons]
            pages += 1
            token = page.next_page_token
            if token is None:
                break
        expected = sorted(results, key=lambda r: (r.observed_at, r.request_id), reverse=True)
        assert seen == [r.request_id for r in expected]
        assert pages == -(-len(results) // 4)

    def test_filters_narrow_the_list(self, engine: sa.Engine) -> None:
        results = dataset()
        storage.ResultWriter(engine, rules_version=RULES).write(results)

        def ids(**filters: object) -> set[str]:
            page = list_comparisons(engine, page_size=500, **filters)  # type: ignore[arg-type]
            assert page.next_page_token is None
            return {c.request_id for c in page.comparisons}

        orders = {r.request_id for r in results if r.endpoint == "POST /orders"}
        assert ids(endpoint="POST /orders") == orders
        mismatching = {r.request_id for r in results if r.comparison.verdict is Verdict.MISMATCH}
        assert ids(verdict="mismatch") == mismatching
        some = next(r for r in results if r.comparison.verdict is Verdict.MISMATCH)
        same_problem = {
            r.request_id for r in results if r.comparison.signature == some.comparison.signature
        }
        assert ids(signature=some.comparison.signature) == same_problem
        window = {r.request_id for r in results if T0 + timedelta(seconds=3) <= r.observed_at}
        window -= {r.request_id for r in results if r.observed_at >= T0 + timedelta(seconds=9)}
        assert ids(since=T0 + timedelta(seconds=3), until=T0 + timedelta(seconds=9)) == window
        assert ids(run_id="another") == set()

    def test_a_token_not_issued_is_refused(self, engine: sa.Engine) -> None:
        for token in ("nonsense", "", "W10", "WyJ4IiwgMV0"):
            with pytest.raises(BadPageToken):
                list_comparisons(engine, page_token=token)
        with pytest.raises(ValueError, match="page_size"):
            list_comparisons(engine, page_size=0)

    def test_one_signature_with_its_stored_examples(self, engine: sa.Engine) -> None:
        name = Difference("/name", Kind.VALUE_CHANGED, "a", "b")
        results = [
            make_result(f"n{i}", at=T0 + timedelta(minutes=i), differences=[name], summary="n")
            for i in range(5)
        ]
        storage.ResultWriter(engine, rules_version=RULES).write(results)
        sig = results[0].comparison.signature
        assert sig is not None
        detail = signature_detail(engine, sig)
        assert detail is not None
        assert detail.signature.count == 5 and detail.signature.summary == "n"
        assert [e.request_id for e in detail.examples] == ["n0", "n1", "n2"]
        assert detail.examples[0].differences[0].path == "/name"
        later = signature_detail(engine, sig, since=T0 + timedelta(minutes=3))
        assert later is not None and later.signature.count == 2
        assert signature_detail(engine, "no-such-signature") is None
        assert signature_detail(engine, sig, endpoint="GET /other") is None
        assert detail.to_json()["example_comparisons"][1]["request_id"] == "n1"

    def test_runs_with_their_traffic_span(self, engine: sa.Engine) -> None:
        storage.ResultWriter(engine, rules_version=RULES).write(
            [
                make_result("a", at=T0 + timedelta(seconds=30)),
                make_result("b", at=T0 + timedelta(minutes=4)),
            ]
        )
        storage.ensure_run(engine, "replay-1", kind="reprocess", rules_version="rules-v2")
        found = {run.run_id: run for run in list_runs(engine)}
        assert set(found) == {"live", "replay-1"}
        live = found["live"]
        assert live.kind == "live" and live.rules_version == RULES
        assert live.first_minute == T0 and live.end == T0 + timedelta(minutes=5)
        assert found["replay-1"].first_minute is None and found["replay-1"].kind == "reprocess"
        assert [r.run_id for r in list_runs(engine, run_id="replay-1")] == ["replay-1"]
        assert list_runs(engine, since=T0.replace(year=2999)) == []
