"""The noise filter of the mismatch report and the time series, on SQLite and PostgreSQL.

Mixed into the store contract's test classes (`StoreContract` supplies the
`engine` fixture). The secondary traffic of `streams.synthetic.secondary` is
spread over hours (one request every `EVERY`), judged by the embedded pipeline
and stored: on `GET /quotes/{id}` each backend stamps its own `generated_at`
(noise: the secondary differs there as often as the candidate) and every
tenth request carries a price bug (real: only the candidate differs);
`GET /users/{id}` has the same volatile field and no secondary. Expected
figures are counted from the generator's requests, bucket by bucket.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

import storage
from comparator import RuleSet
from storage.noise_filter import NoiseFilter
from storage.timeseries import STEPS, bucket_start, timeseries
from streams.exchange import Exchange
from streams.pipeline import run_pipeline
from streams.synthetic.secondary import BUG_EVERY, QUOTES, T0, USERS, bugs, quotes, users
from tests.storage_contract import RULES, dataset

QUOTE_COUNT = 120
USER_COUNT = 40
EVERY = timedelta(minutes=2)
"""Request i of each endpoint is observed at T0 + i * EVERY: 4 hours of quotes."""

MODES: tuple[NoiseFilter, ...] = ("include", "exclude", "only")


def _spread(exchanges: list[Exchange]) -> list[Exchange]:
    return [replace(x, started_at=_at(x.request_id)) for x in exchanges]


def _at(request_id: str) -> datetime:
    return T0 + int(request_id.rsplit("-", 1)[1]) * EVERY


def _is_bug(request_id: str) -> bool:
    return request_id.startswith("quotes-") and int(request_id.split("-")[1]) % BUG_EVERY == 0


def _store(engine: sa.Engine) -> None:
    writer = storage.ResultWriter(engine, rules_version=RULES)
    traffic = _spread(quotes(QUOTE_COUNT) + users(USER_COUNT))
    assert run_pipeline(traffic, RuleSet.default(), writer).join.with_secondary == QUOTE_COUNT


def _expected_buckets(
    since: datetime, until: datetime, step: timedelta
) -> dict[tuple[str, datetime], tuple[int, int, int]]:
    """(endpoint, bucket start) -> (requests, bugs, noise) of the generator's in the window.

    Every request mismatches (the volatile field); a quote's is noise unless it is a bug.
    """
    found: dict[tuple[str, datetime], tuple[int, int, int]] = {}
    requests = [(QUOTES, f"quotes-{i}") for i in range(QUOTE_COUNT)]
    requests += [(USERS, f"users-{i}") for i in range(USER_COUNT)]
    for endpoint, request_id in requests:
        at = _at(request_id)
        if not since <= at < until:
            continue
        key = (endpoint, bucket_start(at, step))
        n, real, noise = found.get(key, (0, 0, 0))
        bug = _is_bug(request_id)
        found[key] = (n + 1, real + bug, noise + (endpoint == QUOTES and not bug))
    return found


class NoiseContract:
    def test_the_report_leaves_noise_out_or_shows_it_alone_and_keeps_the_bug(
        self, engine: sa.Engine
    ) -> None:
        _store(engine)
        reports = {mode: storage.mismatch_report(engine, noise=mode) for mode in MODES}
        bugged, noise = bugs(QUOTE_COUNT), QUOTE_COUNT - bugs(QUOTE_COUNT)
        for mode, report in reports.items():
            assert (report.noise, report.secondary) == (mode, True)
            by_name = {e.endpoint: e for e in report.endpoints}
            assert (by_name[QUOTES].total, by_name[USERS].total) == (QUOTE_COUNT, USER_COUNT)
            assert (by_name[QUOTES].noise, by_name[USERS].noise) == (noise, None)

        def figures(mode: NoiseFilter, endpoint: str) -> tuple[int, list[tuple[str, int]]]:
            (entry,) = [e for e in reports[mode].endpoints if e.endpoint == endpoint]
            return entry.mismatches, [(p.path, p.count) for p in entry.top_paths]

        assert figures("include", QUOTES) == (
            QUOTE_COUNT,
            [("/generated_at", QUOTE_COUNT), ("/price", bugged)],
        )
        # The bug's requests differ at /generated_at too: that path stays, counted by them.
        assert figures("exclude", QUOTES) == (
            bugged,
            [("/generated_at", bugged), ("/price", bugged)],
        )
        assert figures("only", QUOTES) == (noise, [("/generated_at", noise)])
        # Without a secondary the users endpoint's volatile field is never noise.
        assert (
            figures("exclude", USERS)
            == figures("include", USERS)
            == (
                USER_COUNT,
                [("/generated_at", USER_COUNT)],
            )
        )
        assert figures("only", USERS) == (0, [])

        def examples(mode: NoiseFilter) -> tuple[str, ...]:
            (entry,) = [e for e in reports[mode].endpoints if e.endpoint == QUOTES]
            return entry.examples

        assert examples("exclude") and all(_is_bug(r) for r in examples("exclude"))
        assert examples("only") and not any(_is_bug(r) for r in examples("only"))
        as_json = reports["exclude"].to_json()
        assert (as_json["noise"], as_json["secondary"]) == ("exclude", True)
        rows = {e["endpoint"]: (e["secondary"], e["noise"]) for e in as_json["endpoints"]}
        assert rows == {QUOTES: (True, noise), USERS: (False, None)}

    @pytest.mark.parametrize(
        ("step", "since", "until"),
        [
            ("1h", T0 + timedelta(minutes=17), T0 + timedelta(hours=3, minutes=23)),
            ("15m", T0, T0 + timedelta(hours=4)),
            ("1m", T0 + timedelta(minutes=50), T0 + timedelta(minutes=70)),
            ("1d", T0 - timedelta(minutes=1), T0 + timedelta(hours=5)),
        ],
    )
    def test_each_bucket_leaves_out_its_noise_from_the_rollups(
        self, engine: sa.Engine, step: str, since: datetime, until: datetime
    ) -> None:
        _store(engine)
        expected = _expected_buckets(since, until, STEPS[step])
        seen = {}
        for mode in MODES:
            report = timeseries(engine, since=since, until=until, step=step, noise=mode)
            assert (report.noise, report.secondary) == (mode, True)
            assert {s.endpoint: s.secondary for s in report.series} == {QUOTES: True, USERS: False}
            seen[mode] = {
                (s.endpoint, b.start): (b.mismatches, b.noise, b.total)
                for s in report.series
                for b in s.buckets
                if b.total
            }
        assert set(seen["include"]) == set(expected)
        for key, (n, real, noise) in expected.items():
            if key[0] == QUOTES:
                assert seen["include"][key] == (n, noise, n)
                assert seen["exclude"][key] == (real, noise, n)
                assert seen["only"][key] == (noise, noise, n)
            else:
                assert seen["include"][key] == seen["exclude"][key] == (n, None, n)
                assert seen["only"][key] == (0, None, n)
        assert sum(real for _, real, _ in expected.values()) > 0  # the bug is in the window
        assert sum(noise for _, _, noise in expected.values()) > 0

    def test_without_a_secondary_nothing_changes_but_the_added_keys(
        self, engine: sa.Engine
    ) -> None:
        storage.ResultWriter(engine, rules_version=RULES).write(dataset())
        plain = storage.mismatch_report(engine).to_json()
        assert plain["endpoints"] and plain["secondary"] is False
        assert all(e["noise"] is None and not e["secondary"] for e in plain["endpoints"])
        excluded = storage.mismatch_report(engine, noise="exclude").to_json()
        assert {**excluded, "noise": "include"} == plain
        only = storage.mismatch_report(engine, noise="only")
        assert [e.mismatches for e in only.endpoints] == [0] * len(only.endpoints)
        assert all(not e.top_paths for e in only.endpoints)

        start, end = dataset()[0].observed_at, dataset()[-1].observed_at + timedelta(minutes=1)
        series = timeseries(engine, since=start, until=end, step="1m").to_json()
        assert sum(b["mismatches"] for s in series["series"] for b in s["buckets"]) == 9
        assert {b["noise"] for s in series["series"] for b in s["buckets"]} == {None}
        left_out = timeseries(engine, since=start, until=end, step="1m", noise="exclude")
        assert {**left_out.to_json(), "noise": "include"} == series
