"""The embedded pipeline: join → compare → store in one process, over a capture.

The same join, judge and writer the Faust worker uses, minus Kafka: records are
taken in capture order on a single partition, event time advances with each
record's `started_at`, and at the end of the capture every side still waiting
becomes an orphan (there is no later traffic to wait for).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from comparator import Result, RuleSet
from storage import ResultWriter
from streams.codec import DEFAULT_MAX_BODY_BYTES
from streams.exchange import Exchange
from streams.join import JoinCounters, JoinState
from streams.judge import judge_expired, judge_pair


@dataclass(frozen=True, slots=True)
class PipelineStats:
    """What one run over a capture did."""

    exchanges: int
    judged: int
    stored: int
    join: JoinCounters


def run_pipeline(
    exchanges: Iterable[Exchange],
    rules: RuleSet,
    writer: ResultWriter,
    *,
    grace: timedelta = timedelta(seconds=30),
    batch_size: int = 500,
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
    on_exchange: Callable[[], None] | None = None,
) -> PipelineStats:
    """Judge and store every request of `exchanges`; `on_exchange` ticks a progress bar.

    Response bodies past `max_body_bytes` are judged by digest, as in the worker.
    """
    join = JoinState(grace)
    batch: list[Result] = []
    seen = judged = stored = 0

    def flush() -> None:
        nonlocal stored
        if batch:
            stored += writer.write(batch)
            batch.clear()

    for exchange in exchanges:
        seen += 1
        exchange = exchange.within(max_body_bytes)
        pair = join.offer(exchange)
        if pair is not None:
            batch.append(judge_pair(pair, rules))
        batch.extend(judge_expired(e, rules) for e in join.advance(0, exchange.started_at))
        if len(batch) >= batch_size:
            judged += len(batch)
            flush()
        if on_exchange is not None:
            on_exchange()
    batch.extend(judge_expired(e, rules) for e in join.drain())
    judged += len(batch)
    flush()
    return PipelineStats(exchanges=seen, judged=judged, stored=stored, join=join.counters)
