"""Synthetic endpoints whose readiness is known, judged through the whole pipeline.

Shared by the readiness and noise tests: traffic is generated per endpoint
profile (`streams.synthetic.profiles`), joined, compared and stored by the
embedded pipeline into a store, then judged from the rollups.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

import storage
from analysis.readiness import Readiness, ReadinessCriteria, judge_readiness
from comparator import RuleSet
from shadowdiff.commands.readiness import evidence
from storage.queries import stored_span
from storage.readiness import readiness_traffic
from streams.pipeline import run_pipeline
from streams.synthetic.profiles import Profile, Profiled, profiled

READY = "GET /ready"
RARE_BUG = "GET /rare-bug"
TOO_FEW = "GET /too-few"
SLOW = "GET /slow"
NOISY = "GET /noisy"

PROFILES = (
    Profile(READY, 4_500),
    Profile(RARE_BUG, 8_000, bug_every=2_000),  # 0.05 % of its requests
    Profile(TOO_FEW, 300),
    Profile(SLOW, 4_500, slowdown=1.5),
    Profile(NOISY, 4_500, volatile=("uuid", "timestamp", "token", "float", "sequence")),
)


def traffic(seed: int = 13) -> Profiled:
    return profiled(PROFILES, seed=seed)


def judge_store(engine: sa.Engine, traffic: Profiled, rules: RuleSet) -> None:
    writer = storage.ResultWriter(engine, rules_version=rules.version)
    run_pipeline(traffic.exchanges, rules, writer, batch_size=2_000)


def readiness(engine: sa.Engine) -> dict[str, Readiness]:
    span = stored_span(engine)
    assert span is not None
    since, until = span[0], span[1]
    found = readiness_traffic(engine, since=since - timedelta(days=1), until=until)
    return {t.endpoint: judge_readiness(evidence(t, until), ReadinessCriteria()) for t in found}
