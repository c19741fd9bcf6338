"""One unit of history through the worker's own join, judge and writer.

The same steps as the live pipeline (`streams.pipeline`), with three additions
a bounded, resumable batch job needs:

- a `Window`: sides outside it (plus the grace period) are not read, results
  observed outside it are not stored;
- a `ResumeTracker`: after every batch commit, `on_checkpoint` is told where
  reading may resume and the join's watermark there, so an interrupted run
  continues where it stopped instead of judging everything again;
- progress reports every `report_every` records.

Batches are stored by a `Committer` (`streams.replay.commit`): on a thread of
its own, one batch in flight, while the next batch is read and judged. The
checkpoint callback runs there, after its batch has committed; when `replay`
returns (or raises), nothing is in flight any more.

A resumed unit gives the same results as one read in a single go: the join
restarts with the saved watermark, and every request not stored before the
checkpoint is read again whole (see `streams.replay.resume`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from comparator import Result, RuleSet
from storage import ResultWriter
from streams.codec import DEFAULT_MAX_BODY_BYTES
from streams.exchange import Exchange
from streams.join import JoinState
from streams.judge import judge_expired, judge_pair
from streams.replay.commit import Committer
from streams.replay.resume import ResumeTracker
from streams.replay.sources import Window

P = TypeVar("P")

Checkpointer = Callable[[P, datetime | None, bool], None]
"""Called after each committed batch with (resume position, watermark, unit done),
on the writing thread."""

Reporter = Callable[[int, int], None]
"""Called with (records read, requests judged) since its previous call."""


@dataclass(frozen=True, slots=True)
class UnitStats:
    """What replaying one unit did: records read, requests judged, rows new in the store."""

    records: int
    judged: int
    stored: int


def replay(
    records: Iterable[tuple[P, Exchange]],
    rules: RuleSet,
    writer: ResultWriter,
    *,
    window: Window,
    start: P,
    after: Callable[[P], P],
    on_checkpoint: Checkpointer[P],
    watermark: datetime | None = None,
    on_progress: Reporter | None = None,
    batch_size: int = 1000,
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
    report_every: int = 1000,
) -> UnitStats:
    """Judge and store every request of `records` that `window` keeps.

    `start` is where `records` begins, `after(p)` the position following `p`;
    `watermark` the join clock saved with the checkpoint `records` resumes from
    (None for a fresh start).
    """
    join = JoinState(window.grace)
    if watermark is not None:
        join.advance(0, watermark)
    tracker: ResumeTracker[P] = ResumeTracker()
    batch: list[Result] = []
    judged_ids: list[str] = []
    count = judged = stored = 0
    unreported = [0, 0]
    position: P | None = None

    def take(result: Result) -> None:
        judged_ids.append(result.request_id)
        if window.keeps(result.observed_at):
            batch.append(result)

    def flush(next_position: P, done: bool) -> None:
        # The checkpoint is fixed now (these requests are judged, the rest held) and
        # saved once the batch has committed; meanwhile the next batch is read.
        nonlocal judged
        judged += len(judged_ids)
        unreported[1] += len(judged_ids)
        tracker.release(judged_ids)
        resume, mark = tracker.resume_at(next_position), watermark

        def then(new: int) -> None:
            nonlocal stored
            stored += new
            on_checkpoint(resume, mark, done)

        committer.submit(list(batch), then)
        batch.clear()
        judged_ids.clear()

    with Committer(writer) as committer:
        for position, exchange in records:
            count += 1
            unreported[0] += 1
            started = exchange.started_at
            if window.reads(started):
                exchange = exchange.within(max_body_bytes)
                request_id = exchange.request_id
                pair = join.offer(exchange)
                if pair is not None:
                    take(judge_pair(pair, rules))
                elif join.waiting(request_id):
                    tracker.hold(request_id, position)
                for expired in join.advance(0, started):
                    take(judge_expired(expired, rules))
                if watermark is None or started > watermark:
                    watermark = started
                if len(judged_ids) >= batch_size:
                    flush(after(position), False)
            if on_progress is not None and unreported[0] >= report_every:
                on_progress(*unreported)
                unreported[:] = [0, 0]
        for expired in join.drain():
            take(judge_expired(expired, rules))
        flush(start if position is None else after(position), True)
    if on_progress is not None:
        on_progress(*unreported)
    return UnitStats(records=count, judged=judged, stored=stored)


__all__ = ["Checkpointer", "Reporter", "UnitStats", "replay"]
