"""A secondary's baseline through the embedded pipeline into SQLite: noise per signature.

With a secondary on the endpoint, the volatile path's signature is noise and the
price bug's is not; the rollups hold Diffy's counts exactly, once however often
the traffic is stored; an endpoint without a secondary is judged as before.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import storage
from analysis.baseline import Baseline, BaselineThresholds, PathBaseline, is_noise
from comparator import RuleSet
from shadowdiff.cli import main
from shadowdiff.commands import mismatches, show, signatures, timeseries
from storage import retention
from storage.noise_filter import NoiseFilter
from storage.readiness import readiness_traffic
from storage.secondary_report import baselines, secondary_of
from storage.signature_report import signature_report
from streams.capture import read_capture
from streams.pipeline import run_pipeline
from streams.synthetic.secondary import (
    QUOTES,
    SAMPLE_QUOTES,
    T0,
    USERS,
    bugs,
    quotes,
    sample,
    users,
)
from tests.samples import SAMPLES

COUNT = 300


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'results.db'}"
    storage.upgrade(url)
    writer = storage.ResultWriter(storage.connect(url), rules_version="v1")
    for _ in range(2):  # the second run stores nothing new, and counts nothing again
        stats = run_pipeline(quotes(COUNT) + users(50), RuleSet.default(), writer)
    assert stats.join.with_secondary == COUNT
    return url


def test_the_rollups_hold_diffys_counts(db: str) -> None:
    found = baselines(storage.connect(db))
    assert found == {
        QUOTES: Baseline(COUNT, {"/generated_at": (COUNT, COUNT), "/price": (bugs(COUNT), 0)})
    }


def test_the_volatile_path_is_noise_on_its_signatures_and_the_bug_is_not(db: str) -> None:
    report = signature_report(storage.connect(db))
    by_paths = {(s.endpoint, tuple(sorted(p for p, _ in s.paths))): s for s in report.signatures}
    volatile = by_paths[QUOTES, ("/generated_at",)]
    bug = by_paths[QUOTES, ("/generated_at", "/price")]
    no_secondary = by_paths[USERS, ("/generated_at",)]
    assert (volatile.count, bug.count) == (COUNT - bugs(COUNT), bugs(COUNT))
    assert (volatile.noise, bug.noise, no_secondary.noise) == (True, False, None)
    assert report.secondary
    # The same verdicts as Diffy's rule on the counts, worked by hand:
    # /price: 30 against 0 of 300 -> 10 % absolute, 100 % relative: real.
    assert not is_noise(PathBaseline(COUNT, bugs(COUNT), 0))
    assert is_noise(PathBaseline(COUNT, COUNT, COUNT))

    def listed(noise: NoiseFilter) -> set[str]:
        return {s.signature for s in signature_report(storage.connect(db), noise=noise).signatures}

    assert listed("only") == {volatile.signature}
    assert listed("exclude") == {bug.signature, no_secondary.signature}
    # Thresholds are settings: at 100 % relative nothing can be real, the bug included.
    loose = BaselineThresholds(relative=100.0, absolute=0.0)
    strict = signature_report(storage.connect(db), noise="only", thresholds=loose)
    assert {s.signature for s in strict.signatures} == {volatile.signature, bug.signature}


def test_the_command_reads_the_thresholds_from_the_environment(db: str) -> None:
    loose = {"NOISE_RELATIVE_THRESHOLD": "100", "NOISE_ABSOLUTE_THRESHOLD": "0"}
    args = ["--db", db, "--endpoint", QUOTES, "--noise", "only", "--json"]
    outcome = CliRunner().invoke(signatures.command, args, env=loose)
    assert outcome.exit_code == 0, outcome.output
    paths = {
        tuple(sorted(p["path"] for p in s["paths"]))
        for s in json.loads(outcome.output)["signatures"]
    }
    assert paths == {("/generated_at",), ("/generated_at", "/price")}


def test_thresholds_given_as_a_callable_are_read_only_for_a_run_with_a_secondary(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    storage.upgrade(url)
    run_pipeline(
        users(20), RuleSet.default(), storage.ResultWriter(storage.connect(url), rules_version="v1")
    )
    asked: list[str] = []

    def thresholds() -> BaselineThresholds:
        asked.append("thresholds")
        return BaselineThresholds()

    plain = signature_report(storage.connect(url), thresholds=thresholds)
    assert plain.signatures and not plain.secondary and asked == []
    with_secondary = run_pipeline(
        quotes(20),
        RuleSet.default(),
        storage.ResultWriter(storage.connect(url), rules_version="v1"),
    )
    assert with_secondary.join.with_secondary == 20
    assert signature_report(storage.connect(url), thresholds=thresholds).secondary
    assert asked == ["thresholds"]


def test_the_commands_filter_noise_and_show_the_secondary(db: str) -> None:
    group = CliRunner()
    out = group.invoke(signatures.command, ["--db", db, "--noise", "exclude", "--json"])
    assert out.exit_code == 0, out.output
    listed = json.loads(out.output)
    assert listed["secondary"] is True
    assert {s["noise"] for s in listed["signatures"]} == {False, None}
    text = group.invoke(signatures.command, ["--db", db, "--noise", "only"])
    assert text.exit_code == 0 and "(noise)" in text.output

    detail = group.invoke(show.command, ["quotes-0", "--db", db, "--json"])
    assert detail.exit_code == 0, detail.output
    shown = json.loads(detail.output)
    assert shown["secondary"] == {"differed_at": ["/generated_at"]}
    flags = {d["path"]: d["secondary_differs"] for d in shown["differences"]}
    assert flags == {"/generated_at": True, "/price": False}
    plain = group.invoke(show.command, ["users-0", "--db", db, "--json"])
    assert json.loads(plain.output)["secondary"] is None


def test_the_shipped_sample_is_the_generators() -> None:
    assert list(read_capture(SAMPLES / "secondary.jsonl")) == sample()


def test_reprocessing_judges_the_secondary_again_under_the_new_rules(
    db: str, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'endpoints:\n  "GET /quotes/{id}":\n    paths:\n      /generated_at: {ignore: true}\n'
    )
    outcome = CliRunner().invoke(
        main,
        ["reprocess", "--source", str(SAMPLES / "secondary.jsonl"), "--rules", str(rules),
         "--run", "ignored", "--db", db],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    engine = storage.connect(db)
    bugged = bugs(SAMPLE_QUOTES)
    assert baselines(engine, run_id="ignored") == {
        QUOTES: Baseline(SAMPLE_QUOTES, {"/price": (bugged, 0)})
    }
    report = signature_report(engine, run_id="ignored", endpoint=QUOTES)
    assert [(s.count, s.noise) for s in report.signatures] == [(bugged, False)]


def test_retention_prunes_the_secondary_rows_with_the_raw_rows_and_rollups(db: str) -> None:
    engine = storage.connect(db)
    later = T0 + timedelta(days=10)
    retention.prune(engine, now=later, raw_older_than=timedelta(days=1), rollups_older_than=None)
    assert secondary_of(engine, "quotes-1") is None
    assert baselines(engine)[QUOTES].requests == COUNT
    retention.prune(engine, now=later, raw_older_than=None, rollups_older_than=timedelta(days=1))
    assert baselines(engine) == {}


def test_readiness_counts_noise_as_agreeing_and_the_bug_as_open(db: str) -> None:
    window = {"since": T0, "until": T0 + timedelta(hours=1)}
    quotes_traffic, users_traffic = readiness_traffic(storage.connect(db), **window)
    assert (quotes_traffic.endpoint, users_traffic.endpoint) == (QUOTES, USERS)
    assert (quotes_traffic.noise, quotes_traffic.open_signatures) == (COUNT - bugs(COUNT), 1)
    assert (users_traffic.noise, users_traffic.open_signatures) == (0, 1)
    outcome = CliRunner().invoke(
        main, ["readiness", "--db", db, "--until", "end", "--window", "1d", "--json"]
    )
    assert outcome.exit_code == 0, outcome.output
    rates = {e["endpoint"]: e["match_rate"] for e in json.loads(outcome.output)["endpoints"]}
    assert rates == {QUOTES: 1 - bugs(COUNT) / COUNT, USERS: 0.0}


def test_mismatches_and_timeseries_filter_noise_in_text_and_json(db: str) -> None:
    group = CliRunner()
    bugged = bugs(COUNT)
    window = ["--since", T0.isoformat(), "--until", (T0 + timedelta(minutes=1)).isoformat()]
    left_out = group.invoke(mismatches.command, ["--db", db, "--noise", "exclude", "--json"])
    assert left_out.exit_code == 0, left_out.output
    rows = {e["endpoint"]: e for e in json.loads(left_out.output)["endpoints"]}
    assert (rows[QUOTES]["mismatches"], rows[QUOTES]["noise"]) == (bugged, COUNT - bugged)
    assert (rows[USERS]["mismatches"], rows[USERS]["noise"]) == (50, None)
    table = group.invoke(mismatches.command, ["--db", db, "--noise", "only"]).output
    assert "noise: only the mismatches a secondary's baseline explains" in table
    quotes_line = next(line for line in table.splitlines() if line.startswith(QUOTES))
    assert quotes_line.split()[3:5] == [str(COUNT - bugged), f"{(COUNT - bugged) / COUNT:.1%}"]

    series = group.invoke(
        timeseries.command, ["--db", db, *window, "--step", "1m", "--noise", "exclude", "--json"]
    )
    assert series.exit_code == 0, series.output
    by_endpoint = {s["endpoint"]: s for s in json.loads(series.output)["series"]}
    (bucket,) = by_endpoint[QUOTES]["buckets"]
    assert (bucket["mismatches"], bucket["noise"]) == (bugged, COUNT - bugged)
    assert by_endpoint[USERS]["buckets"][0]["mismatches"] == 50
    chart = group.invoke(timeseries.command, ["--db", db, *window, "--noise", "exclude"])
    assert f"{bugged} mismatches ({bugged / COUNT:.1%}; {COUNT - bugged} noise left out)" in (
        chart.output
    )
    assert group.invoke(timeseries.command, ["--noise", "never", "--db", db]).exit_code == 2


def test_the_commands_judge_noise_by_the_thresholds_in_the_settings(db: str) -> None:
    # At 100 % relative nothing can be real: the price bug is noise too.
    loose = {"NOISE_RELATIVE_THRESHOLD": "100", "NOISE_ABSOLUTE_THRESHOLD": "0"}
    group = CliRunner(env=loose)
    out = group.invoke(mismatches.command, ["--db", db, "--noise", "exclude", "--json"])
    assert out.exit_code == 0, out.output
    rows = {e["endpoint"]: e for e in json.loads(out.output)["endpoints"]}
    assert (rows[QUOTES]["mismatches"], rows[QUOTES]["noise"]) == (0, COUNT)
    window = ["--since", T0.isoformat(), "--until", (T0 + timedelta(minutes=1)).isoformat()]
    series = group.invoke(timeseries.command, ["--db", db, *window, "--noise", "only", "--json"])
    by_endpoint = {s["endpoint"]: s for s in json.loads(series.output)["series"]}
    assert [b["mismatches"] for b in by_endpoint[QUOTES]["buckets"] if b["total"]] == [COUNT]
