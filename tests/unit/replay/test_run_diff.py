"""The diff of two runs against the ground truth: ignoring one path changes exactly what it must."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage
from comparator import Kind, RuleSet, load_rules
from storage.models import differences
from storage.run_diff import RunDiff, diff_runs
from streams.capture import write_capture
from streams.replay.reprocess import Plan, reprocess, start_run
from streams.replay.sources import Window, open_source
from streams.synthetic import Fate, generate
from tests.replay_support import GRACE, live_run, run_rows

PAIRS = 2500
MISMATCH_KINDS = frozenset(k.value for k in Kind if k.is_mismatch)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, dict[str, Fate]]:
    """A live run of synthetic traffic under the default rules, and its capture."""
    folder = tmp_path_factory.mktemp("diff")
    traffic = generate(PAIRS, seed=21)
    capture = folder / "traffic.avro"
    write_capture(capture, traffic.exchanges)
    url = f"sqlite:///{folder / 'runs.db'}"
    live_run(url, traffic.exchanges, RuleSet.default())
    return url, capture, dict(traffic.truth)


def reprocess_as(url: str, capture: Path, run_id: str, rules: RuleSet) -> None:
    engine = storage.connect(url)
    plan = Plan(run_id, url, rules, Window(grace=GRACE))
    start_run(engine, plan, "test")
    reprocess(engine, plan, open_source(capture, plan.window), lambda r, j: None)
    engine.dispose()


def mismatch_paths(url: str, run_id: str) -> dict[str, frozenset[tuple[str, str]]]:
    """request id → its (path, kind) differences that are mismatches."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    query = sa.select(differences.c.request_id, differences.c.path, differences.c.kind).where(
        differences.c.run_id == run_id
    )
    engine = storage.connect(url)
    with engine.connect() as connection:
        for request_id, path, kind in connection.execute(query):
            if kind in MISMATCH_KINDS:
                found[request_id].add((path, kind))
    return {request_id: frozenset(items) for request_id, items in found.items()}


def at(path: str, ignored: str) -> bool:
    return path == ignored or path.startswith(ignored + "/")


def test_the_same_rules_change_nothing(world: tuple[str, Path, dict[str, Fate]]) -> None:
    url, capture, _ = world
    reprocess_as(url, capture, "same", RuleSet.default())
    diff = diff_runs(storage.connect(url), "live", "same")
    assert run_rows(url, "same") == run_rows(url, "live")
    assert (diff.match_to_mismatch, diff.mismatch_to_match, diff.other_changes) == (0, 0, 0)
    assert diff.resolved == () and diff.new == () and diff.examples == ()
    assert diff.both and all(s.count_a == s.count_b for s in diff.both)
    assert all(e.a == e.b for e in diff.endpoints)
    assert (diff.only_a, diff.only_b) == (0, 0)


@pytest.mark.parametrize("ignored", ["/migrated_from", "/submitted_at"])
def test_ignoring_one_path_resolves_exactly_its_signatures(
    world: tuple[str, Path, dict[str, Fate]], tmp_path: Path, ignored: str
) -> None:
    url, capture, truth = world
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(f"default:\n  paths:\n    {ignored}: {{ignore: true}}\n")
    run_id = "ignore" + ignored.replace("/", "-")
    reprocess_as(url, capture, run_id, load_rules(rules_file))
    diff: RunDiff = diff_runs(storage.connect(url), "live", run_id, examples=10_000)

    a, b = run_rows(url, "live"), run_rows(url, run_id)
    paths_a, paths_b = mismatch_paths(url, "live"), mismatch_paths(url, run_id)
    assert set(a) == set(b) == set(truth)

    # The signatures that contain the path: every request with one differs there.
    touched = {rid for rid, items in paths_a.items() if any(at(p, ignored) for p, _ in items)}
    containing = {a[rid][1] for rid in touched}
    assert {rid for rid, (_, signature) in a.items() if signature in containing} == touched
    assert {s.signature for s in diff.resolved} == containing

    # Each touched request keeps exactly its other differences ...
    for rid in touched:
        rest = frozenset(item for item in paths_a[rid] if not at(item[0], ignored))
        assert paths_b.get(rid, frozenset()) == rest
    # ... so those with nothing else flip to match, and the rest turn into new signatures.
    only_there = {rid for rid in touched if all(at(p, ignored) for p, _ in paths_a[rid])}
    flipped = {f.request_id for f in diff.examples}
    assert diff.mismatch_to_match == len(only_there) and flipped == only_there
    assert {rid for rid in only_there if b[rid][0] == "match"} == only_there
    turned_into = {b[rid][1] for rid in touched - only_there}
    signatures_a = {signature for _, signature in a.values()}
    assert {s.signature for s in diff.new} == turned_into - signatures_a
    assert diff.match_to_mismatch == 0 and diff.other_changes == 0

    # The truth agrees: the requests whose only top-level difference is that member.
    member = ignored.strip("/")
    expected_flips = {
        rid for rid, fate in truth.items() if fate.paths == {member} and not fate.status_differs
    }
    assert only_there == expected_flips

    # Nothing else changes.
    assert {rid: a[rid] for rid in a if rid not in touched} == {
        rid: b[rid] for rid in b if rid not in touched
    }
    moved_in: dict[str, int] = defaultdict(int)
    for rid in touched - only_there:
        moved_in[b[rid][1] or ""] += 1
    for s in diff.both:
        assert s.count_b - s.count_a == moved_in.get(s.signature, 0)

    # Each case shows what it is about: one flips requests, the other makes new signatures.
    if ignored == "/migrated_from":
        assert diff.mismatch_to_match > 0 and diff.new == ()
    else:
        assert diff.mismatch_to_match == 0 and diff.new
