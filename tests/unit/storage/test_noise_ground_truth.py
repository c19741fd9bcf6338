"""Noise learnt from generated traffic with known volatile and known buggy paths.

Every volatile path must be suggested and no buggy one (precision 1.0, recall
at least 0.9; the figures are printed, `-s` shows them). Then the readiness
ground truth: with the suggested rules applied, the noise-only endpoint is
ready while the rare bug stays visible.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage
from analysis.noise import NoiseSettings, Suggestion
from comparator import RuleSet, parse_rules
from shadowdiff.commands.noise import rules_yaml, suggest
from storage.noise_sample import difference_sample
from storage.queries import stored_span
from streams.synthetic.profiles import Profile, profiled
from tests.readiness_ground_truth import (
    NOISY,
    RARE_BUG,
    READY,
    SLOW,
    TOO_FEW,
    judge_store,
    readiness,
    traffic,
)

MIXED = (
    Profile(
        "GET /a", 600, volatile=("uuid", "timestamp", "token"), bugs=("off_by_one", "always_null")
    ),
    Profile(
        "GET /b",
        600,
        volatile=("float", "sequence"),
        bugs=("renamed", "enum_changed", "shifted_time"),
    ),
    Profile(
        "GET /c",
        600,
        volatile=("uuid", "timestamp", "token", "float", "sequence"),
        bugs=("always_null", "off_by_one", "renamed", "enum_changed", "shifted_time"),
    ),
    Profile("GET /d", 600, bug_every=50, bugs=("off_by_one", "shifted_time")),
)


def _store(tmp_path: Path, name: str) -> sa.Engine:
    engine = storage.connect(f"sqlite:///{tmp_path / name}")
    storage.upgrade(engine)
    return engine


def _suggestions(engine: sa.Engine) -> list[Suggestion]:
    span = stored_span(engine)
    assert span is not None
    samples = difference_sample(engine, since=span[0], until=span[1])
    return suggest(samples, NoiseSettings())


def test_every_volatile_path_and_no_buggy_one_is_suggested(tmp_path: Path) -> None:
    truth = profiled(MIXED, seed=5)
    engine = _store(tmp_path, "mixed.sqlite")
    judge_store(engine, truth, RuleSet.default())
    found = _suggestions(engine)
    suggested = {(s.endpoint, s.path) for s in found}
    true_positives = suggested & truth.volatile
    precision = len(true_positives) / len(suggested) if suggested else 0.0
    recall = len(true_positives) / len(truth.volatile)
    print(
        f"noise: precision {precision:.3f}, recall {recall:.3f} "
        f"({len(true_positives)} of {len(truth.volatile)} volatile paths, "
        f"{len(suggested - truth.volatile)} wrong, {len(truth.buggy)} buggy paths held back)"
    )
    assert not suggested & truth.buggy
    assert precision == 1.0
    assert recall >= 0.9
    classes = {(s.endpoint, s.path): s.value_class for s in found}
    assert classes[("GET /c", "/trace_id")] == "uuid"
    assert classes[("GET /c", "/generated_at")] == "timestamp"
    assert classes[("GET /c", "/session_token")] == "token"
    assert classes[("GET /c", "/score")] == "float"
    assert classes[("GET /c", "/sequence")] == "sequence"
    for s in found:
        assert s.share == 1.0 and min(s.distinct) > 300 and len(s.examples) == 3
    parse_rules(rules_yaml(found))  # the YAML loads as a rules file


def test_with_the_suggested_rules_the_noise_only_endpoint_becomes_ready(tmp_path: Path) -> None:
    generated = traffic()
    before = _store(tmp_path, "before.sqlite")
    judge_store(before, generated, RuleSet.default())
    assert readiness(before)[NOISY].verdict == "not_ready"
    found = _suggestions(before)
    assert {s.endpoint for s in found} == {NOISY}  # nothing to explain elsewhere
    rules = parse_rules(rules_yaml(found))

    after = _store(tmp_path, "after.sqlite")
    judge_store(after, generated, rules)
    judged = readiness(after)
    for name, verdict in judged.items():
        print(f"with the suggested rules, {name}: {verdict.verdict} {list(verdict.reasons)}")
    assert judged[NOISY].verdict == "ready" and judged[NOISY].match_rate == 1.0
    assert judged[READY].verdict == "ready"
    assert judged[RARE_BUG].verdict == "not_ready"
    assert judged[RARE_BUG].match_rate == pytest.approx(1 - 4 / 8_000)  # still visible
    assert judged[RARE_BUG].open_signatures == 1
    assert judged[TOO_FEW].verdict == judged[SLOW].verdict == "not_ready"
    span = stored_span(after)
    assert span is not None and span[1] - span[0] < timedelta(hours=1)
