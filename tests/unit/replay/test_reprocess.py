"""Reprocessing captures and archives on SQLite: exact rows, resumable, bounded by time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage
from comparator import RuleSet, load_rules
from storage.models import comparisons
from storage.runs import get_run
from streams.capture import write_capture
from streams.exchange import Exchange
from streams.replay.reprocess import Outcome, Plan, RunConflict, reprocess, start_run
from streams.replay.runner import Reporter
from streams.replay.sources import Window, open_source
from streams.synthetic import Fate, generate
from tests.replay_support import GRACE, live_run, run_rows, write_archive

# Traffic that crosses an hour boundary, so archives hold several files per partition.
START = datetime(2025, 1, 6, 9, 59, 40, tzinfo=UTC)
PAIRS = 1500


@pytest.fixture(scope="module")
def traffic() -> tuple[list[Exchange], dict[str, Fate]]:
    generated = generate(PAIRS, seed=3, start=START)
    return generated.exchanges, generated.truth


@pytest.fixture
def capture(tmp_path: Path, traffic: tuple[list[Exchange], dict[str, Fate]]) -> Path:
    path = tmp_path / "traffic.jsonl"
    write_capture(path, traffic[0])
    return path


def _noop(records: int, judged: int) -> None:
    pass


def run(
    url: str,
    source: Path | str,
    run_id: str,
    *,
    rules: RuleSet | None = None,
    window: Window | None = None,
    workers: int = 1,
    report: Reporter = _noop,
) -> Outcome:
    rules = rules or RuleSet.default()
    window = window or Window(grace=GRACE)
    engine = storage.connect(url)
    storage.upgrade(engine)
    plan = Plan(run_id, url, rules, window, workers=workers, batch_size=100)
    start_run(engine, plan, f"test of {source}")
    try:
        return reprocess(engine, plan, open_source(source, window), report)
    finally:
        engine.dispose()


def test_a_capture_is_judged_like_the_live_pipeline_judges_it(
    tmp_path: Path, capture: Path, traffic: tuple[list[Exchange], dict[str, Fate]]
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    live_run(url, traffic[0], RuleSet.default())
    outcome = run(url, capture, "again")
    rows = run_rows(url, "again")
    assert set(rows) == set(traffic[1])
    assert rows == run_rows(url, "live")
    assert outcome.stored == PAIRS
    run_info = get_run(storage.connect(url), "again")
    assert run_info is not None
    assert (run_info.kind, run_info.state, run_info.total) == ("reprocess", "complete", PAIRS)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_archive_gives_the_rows_its_capture_gives(
    tmp_path: Path, capture: Path, traffic: tuple[list[Exchange], dict[str, Fate]], workers: int
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    archive = tmp_path / "archive"
    assert write_archive(archive, traffic[0], partitions=3) > 3  # hours split partitions
    run(url, capture, "from-capture")
    run(url, archive, "from-archive", workers=workers)
    assert run_rows(url, "from-archive") == run_rows(url, "from-capture")


def test_sources_given_as_fsspec_urls_read_as_local_paths_do(
    tmp_path: Path, capture: Path, traffic: tuple[list[Exchange], dict[str, Fate]]
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    memory = f"memory://reprocess-{uuid.uuid4().hex}/archive"
    write_archive(memory, traffic[0], partitions=2)
    write_archive(tmp_path / "archive", traffic[0], partitions=2)
    run(url, tmp_path / "archive", "local")
    run(url, memory, "memory", workers=2)
    run(url, f"file://{capture}", "file-url")
    # Progress counts local files only (counting would download remote ones).
    assert sum(unit.count() for unit in open_source(tmp_path / "archive", Window())) == len(
        traffic[0]
    )
    assert [unit.count() for unit in open_source(memory, Window())] == [0, 0]
    whole = run_rows(url, "local")
    assert len(whole) == PAIRS
    assert run_rows(url, "memory") == whole
    assert run_rows(url, "file-url") == whole


def _interrupt_after(records: int) -> Callable[[int, int], None]:
    seen = [0]

    def report(read: int, judged: int) -> None:
        seen[0] += read
        if seen[0] >= records:
            raise KeyboardInterrupt

    return report


@pytest.mark.parametrize("source", ["capture", "archive"])
def test_an_interrupted_run_resumes_to_exactly_the_uninterrupted_rows(
    tmp_path: Path, capture: Path, traffic: tuple[list[Exchange], dict[str, Fate]], source: str
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    path = capture
    if source == "archive":
        path = tmp_path / "archive"
        write_archive(path, traffic[0], partitions=2)
    run(url, path, "whole")
    with pytest.raises(KeyboardInterrupt):
        run(url, path, "halves", report=_interrupt_after(1500))
    engine = storage.connect(url)
    halfway = get_run(engine, "halves")
    assert halfway is not None and halfway.state == "interrupted"
    assert 0 < halfway.total < PAIRS
    with pytest.raises(KeyboardInterrupt):
        run(url, path, "halves", report=_interrupt_after(1000))
    resumed = run(url, path, "halves")
    assert run_rows(url, "halves") == run_rows(url, "whole")
    # The resume read from its checkpoint, not from the start.
    assert resumed.records < len(traffic[0])
    done = get_run(engine, "halves")
    assert done is not None and done.state == "complete"
    again = run(url, path, "halves")
    assert (again.units, again.stored) == (0, 0)


def test_a_time_range_keeps_exactly_the_requests_observed_in_it(
    tmp_path: Path, capture: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    run(url, capture, "all")
    engine = storage.connect(url)
    query = sa.select(comparisons.c.request_id, comparisons.c.observed_at).where(
        comparisons.c.run_id == "all"
    )
    with engine.connect() as connection:
        observed = dict(connection.execute(query).all())
    start, end = START + timedelta(seconds=10), START + timedelta(seconds=25)
    run(url, capture, "slice", window=Window(start, end, GRACE))
    expected = {rid for rid, at in observed.items() if start <= at < end}
    assert 0 < len(expected) < PAIRS
    rows = run_rows(url, "slice")
    assert set(rows) == expected
    whole = run_rows(url, "all")
    assert rows == {rid: whole[rid] for rid in expected}


def test_a_run_repeated_with_other_rules_or_range_is_refused(tmp_path: Path, capture: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    run(url, capture, "one")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("default:\n  paths:\n    /migrated_from: {ignore: true}\n")
    with pytest.raises(RunConflict, match="rules"):
        run(url, capture, "one", rules=load_rules(rules_file))
    with pytest.raises(RunConflict, match="covers"):
        run(url, capture, "one", window=Window(START, None, GRACE))
    with pytest.raises(RunConflict, match="live run"):
        live_run(url, [], RuleSet.default())
        run(url, capture, "live")
