"""A reprocessing run: a source judged under a rule set, into a run of its own.

`start_run` creates the run row (kind `reprocess`, its rules version, source
range and a note) or, for a run that exists, checks that the same command is
being repeated (same rules, same range), which resumes it. `reprocess` then
judges every unit not yet done, on `workers` processes that share the units
out, and moves the run's state: `running` while it reads, `interrupted` when
stopped (Ctrl-C), `complete` once every unit is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

import storage
from comparator import RuleSet
from storage.checkpoints import Checkpoint, load_checkpoints, save_checkpoint
from storage.models import RunState
from storage.runs import RunSummary, get_run, set_state
from streams.codec import DEFAULT_MAX_BODY_BYTES
from streams.replay.runner import Reporter, UnitStats, replay
from streams.replay.sources import Position, Unit, Window
from streams.replay.workers import run_processes


class RunConflict(ValueError):
    """A run of that name exists and was made differently; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What a reprocessing run does, everything a worker process needs to do its part.

    `batch_size`: judged requests per write (one transaction, then a checkpoint).
    The writer's cost per row falls steeply up to a few thousand rows a batch
    (statements and round trips per batch, not per row); `benchmarks reprocess`
    has the figures.
    """

    run_id: str
    db_url: str
    rules: RuleSet
    window: Window
    redaction_key: str | None = None
    workers: int = 1
    batch_size: int = 5000
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES


@dataclass(frozen=True, slots=True)
class Outcome:
    """What this invocation did: units judged now, before, and the totals of this one."""

    units: int
    already_done: int
    records: int
    judged: int
    stored: int


def start_run(engine: Engine, plan: Plan, note: str) -> RunSummary:
    """Create the run, or check that an existing one is this plan's; raises `RunConflict`."""
    window = plan.window
    run = get_run(engine, plan.run_id)
    if run is None:
        storage.ensure_run(
            engine,
            plan.run_id,
            rules_version=plan.rules.version,
            kind="reprocess",
            note=note,
            source_from=window.start,
            source_until=window.end,
        )
        run = get_run(engine, plan.run_id)
        assert run is not None
        return run
    advice = f"choose another --run, or `shadowdiff runs delete {plan.run_id}` to judge it afresh"
    if run.kind != "reprocess":
        raise RunConflict(f"run {plan.run_id!r} is the {run.kind} run: {advice}")
    if run.rules_version != plan.rules.version:
        raise RunConflict(
            f"run {plan.run_id!r} was judged with rules {run.rules_version}, these are "
            f"{plan.rules.version}: {advice}"
        )
    if (run.source_from, run.source_until) != (window.start, window.end):
        raise RunConflict(
            f"run {plan.run_id!r} covers {_range(run.source_from, run.source_until)}, "
            f"not {_range(window.start, window.end)}: {advice}"
        )
    return run


def _range(start: datetime | None, end: datetime | None) -> str:
    return f"[{start.isoformat() if start else 'start'}, {end.isoformat() if end else 'end'})"


def remaining(engine: Engine, run_id: str, units: Sequence[Unit]) -> tuple[list[Unit], int]:
    """The units not done yet, and about how many records they have left to read."""
    checkpoints = load_checkpoints(engine, run_id)
    pending, total = [], 0
    for unit in units:
        checkpoint = checkpoints.get(unit.name)
        if checkpoint is not None and checkpoint.done:
            continue
        pending.append(unit)
        if checkpoint is None:
            total += unit.count()
            continue
        left = unit.after(checkpoint.file)
        done = checkpoint.record if checkpoint.file in left.names else 0
        total += max(left.count() - done, 0)
    return pending, total


def replay_unit(
    engine: Engine, writer: storage.ResultWriter, plan: Plan, unit: Unit, report: Reporter
) -> UnitStats:
    """One file unit from its checkpoint (or its start) to its end, checkpointing as it goes."""
    checkpoint = load_checkpoints(engine, plan.run_id).get(unit.name)
    if checkpoint is not None and checkpoint.done:
        return UnitStats(0, 0, 0)
    if not unit.files:
        save_checkpoint(engine, plan.run_id, Checkpoint(unit.name, "", 0, None, True))
        return UnitStats(0, 0, 0)
    start = (
        Position(checkpoint.file, checkpoint.record)
        if checkpoint is not None
        else Position(unit.names[0], 0)
    )

    def save(position: Position, watermark: datetime | None, done: bool) -> None:
        save_checkpoint(
            engine,
            plan.run_id,
            Checkpoint(unit.name, position.file, position.record, watermark, done),
        )

    return replay(
        unit.read(start),
        plan.rules,
        writer,
        window=plan.window,
        start=start,
        after=lambda p: Position(p.file, p.record + 1),
        on_checkpoint=save,
        watermark=checkpoint.watermark if checkpoint is not None else None,
        on_progress=report,
        batch_size=plan.batch_size,
        max_body_bytes=plan.max_body_bytes,
    )


def writer_for(engine: Engine, plan: Plan) -> storage.ResultWriter:
    return storage.ResultWriter(
        engine,
        plan.run_id,
        plan.rules.version,
        kind="reprocess",
        redaction_key=plan.redaction_key,
    )


def _work(plan: Plan, units: Sequence[Unit], report: Reporter) -> UnitStats:
    engine = storage.connect(plan.db_url)
    try:
        writer = writer_for(engine, plan)
        totals = [0, 0, 0]
        for unit in units:
            stats = replay_unit(engine, writer, plan, unit, report)
            totals = [totals[0] + stats.records, totals[1] + stats.judged, totals[2] + stats.stored]
        return UnitStats(*totals)
    finally:
        engine.dispose()


def reprocess(engine: Engine, plan: Plan, units: Sequence[Unit], report: Reporter) -> Outcome:
    """Judge every unit of `units` not done yet; see the module docstring.

    `report` receives progress from every worker process. A KeyboardInterrupt
    leaves the run `interrupted` (and is raised again); a failure in a worker
    process is raised here as `WorkerFailed`.
    """
    pending, _ = remaining(engine, plan.run_id, units)
    workers = min(plan.workers, len(pending))

    def work() -> UnitStats:
        if workers <= 1:
            return _work(plan, pending, report)
        return run_processes(
            workers, lambda index, send: _work(plan, pending[index::workers], send), report
        )

    return run_job(
        engine,
        plan.run_id,
        work,
        units=len(units),
        pending=len(pending),
        complete=lambda: not remaining(engine, plan.run_id, units)[0],
    )


def run_job(
    engine: Engine,
    run_id: str,
    work: Callable[[], UnitStats],
    *,
    units: int,
    pending: int,
    complete: Callable[[], bool],
    unfinished: RunState = "interrupted",
) -> Outcome:
    """Run `work` (when any of the `units` is `pending`) and move the run's state around it.

    A `work` that returns while units remain leaves the run `unfinished`:
    `interrupted` where this process alone reads the source, `running` where
    other processes (other machines) share it.
    """
    set_state(engine, run_id, "running")
    try:
        stats = work() if pending else UnitStats(0, 0, 0)
    except BaseException:
        set_state(engine, run_id, "interrupted")
        raise
    set_state(engine, run_id, "complete" if complete() else unfinished)
    return Outcome(
        units=pending,
        already_done=units - pending,
        records=stats.records,
        judged=stats.judged,
        stored=stats.stored,
    )
