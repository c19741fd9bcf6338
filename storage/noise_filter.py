"""Noise as a filter on every query: which mismatches a secondary's baseline explains.

Noise is judged when a query reads, never stored as a flag: per endpoint, the
`secondary_minutes` and `secondary_paths` rollups summed over the query's
window make the baseline (`storage.secondary_report`), and a problem
(signature) is noise when Diffy's rule finds every one of its folded paths
within that baseline (`analysis.baseline.signature_noise`, the one
judgement). A difference is noise when its signature is. So the mismatch
report, the time series and the signature list agree on what noise is for a
window, and a judgement grows with the baseline instead of freezing at the
moment a row was written.

The filter applies to mismatches: errors and orphans are counted as stored
(an error is no answer to compare, an orphan has no differences). Every read
here is of rollups, so it costs the same at any volume; with no secondary in
the window it reads one small table and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import BigInteger, Connection, func, literal_column, select

from analysis.baseline import Baseline, BaselineThresholds, signature_noise
from comparator.baseline import fold
from comparator.model import Verdict
from comparator.signature import summary_verdict
from storage.compaction import epoch_bucket
from storage.jsontext import json_value
from storage.models import signatures
from storage.queries import signature_counts, signature_row, signature_rows
from storage.secondary_report import read_baselines

NoiseFilter = Literal["include", "exclude", "only"]
"""What a query does with problems a secondary's baseline explains: counts and
lists them with the rest, leaves them out, or shows them alone. Without a
secondary nothing is noise, so `only` is empty."""

HOUR = timedelta(hours=1)

Thresholds = BaselineThresholds | Callable[[], BaselineThresholds]
"""Diffy's thresholds, or how to get them once a secondary is found: a query
over traffic without one never builds them (a command reading its settings
pays for it in start-up time)."""


def rule_of(thresholds: Thresholds | None) -> BaselineThresholds:
    """The thresholds to judge with: `thresholds` itself, what a callable gives
    (called now: call this only once a baseline is found), or Diffy's."""
    if callable(thresholds):
        return thresholds()
    return thresholds or BaselineThresholds()


def stored_noise(
    paths: str, baseline: Baseline | None, thresholds: BaselineThresholds
) -> bool | None:
    """Whether a stored signature (its `paths` column: [path template, kind] pairs)
    is noise by its endpoint's `baseline`; None without a secondary there."""
    return signature_noise((fold(path) for path, _ in json_value(paths)), baseline, thresholds)


@dataclass(frozen=True, slots=True)
class NoiseJudgement:
    """Over one window: each endpoint's baseline, and the mismatch problems it explains."""

    baselines: Mapping[str, Baseline] = field(default_factory=dict)
    noise: frozenset[tuple[str, str]] = frozenset()
    """(endpoint, signature) of the mismatches judged noise."""

    @property
    def secondary(self) -> bool:
        """Whether any endpoint had requests judged with a secondary in the window."""
        return bool(self.baselines)

    def has_secondary(self, endpoint: str) -> bool:
        return endpoint in self.baselines

    def is_noise(self, endpoint: str, signature: str) -> bool:
        return (endpoint, signature) in self.noise

    def signatures_of(self, endpoint: str) -> frozenset[str]:
        """The endpoint's problems judged noise."""
        return frozenset(s for e, s in self.noise if e == endpoint)

    def noise_count(self, endpoint: str, count: int) -> int | None:
        """`count` where the endpoint had a secondary, None where it had none."""
        return count if self.has_secondary(endpoint) else None


def keeps(mode: NoiseFilter, noise: bool) -> bool:
    """Whether a filter in `mode` keeps what is (or is not) `noise`."""
    return mode == "include" or noise == (mode == "only")


def filtered(mode: NoiseFilter, count: int, noise: int) -> int:
    """Of `count` mismatches, `noise` of them noise: those a filter in `mode` counts."""
    if mode == "exclude":
        return count - noise
    if mode == "only":
        return noise
    return count


def judge(
    connection: Connection,
    run_id: str,
    endpoint: str | None,
    since: datetime | None,
    until: datetime | None,
    thresholds: Thresholds | None,
) -> NoiseJudgement:
    """The window's noise (bounds in whole minutes): baselines, then the mismatch
    problems seen on endpoints with one whose every path the baseline explains."""
    baselines = read_baselines(connection, run_id, endpoint, since, until)
    if not baselines:
        return NoiseJudgement()
    counts, sg = signature_counts(run_id, endpoint, since, until), signatures
    seen = (
        select(sg.c.endpoint, sg.c.signature, sg.c.summary, sg.c.paths)
        .join(counts, signature_row(counts, run_id))
        .where(counts.c.endpoint.in_(sorted(baselines)))
    )
    return explained(baselines, connection.execute(seen), thresholds)


def explained(
    baselines: Mapping[str, Baseline],
    problems: Iterable[tuple[str, str, str, str]],
    thresholds: Thresholds | None,
) -> NoiseJudgement:
    """Which of the window's `problems` (endpoint, signature, summary, stored
    paths), mismatches on an endpoint with a baseline, that baseline explains.

    For a caller that reads the window's problems anyway (the mismatch report);
    `judge` reads them itself.
    """
    if not baselines:
        return NoiseJudgement()
    rule = rule_of(thresholds)
    noise = frozenset(
        (name, signature)
        for name, signature, summary, paths in problems
        if name in baselines
        and (summary_verdict(name, summary) or Verdict.MISMATCH) is Verdict.MISMATCH
        and stored_noise(paths, baselines[name], rule)
    )
    return NoiseJudgement(baselines, noise)


def noise_per_bucket(
    connection: Connection,
    judgement: NoiseJudgement,
    run_id: str,
    since: datetime,
    until: datetime,
    step: timedelta,
) -> dict[tuple[str, int], int]:
    """(endpoint, epoch-aligned bucket number) -> requests whose problem is noise,
    from the signature rollups of [since, until) (whole minutes): by the hour
    where a bucket holds whole hours, else by the minute."""
    if not judgement.noise:
        return {}
    names = {signature for _, signature in judgement.noise}
    endpoints = {endpoint for endpoint, _ in judgement.noise}
    one = next(iter(endpoints)) if len(endpoints) == 1 else None
    rows = signature_rows(run_id, one, since, until, hours=step % HOUR == timedelta(0), only=names)
    seconds = str(int(step.total_seconds()))
    bucket = literal_column(
        epoch_bucket(connection.dialect.name, f"{rows.name}.at", seconds), BigInteger
    )
    query = select(rows.c.endpoint, rows.c.signature, bucket, func.sum(rows.c["count"])).group_by(
        rows.c.endpoint, rows.c.signature, bucket
    )
    found: dict[tuple[str, int], int] = {}
    for name, signature, number, n in connection.execute(query):
        if judgement.is_noise(name, signature):
            key = (name, int(number))
            found[key] = found.get(key, 0) + int(n)
    return found
