"""Worker processes for a replay: forked, each with its share, progress relayed home."""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable
from typing import Any

from streams.replay.runner import Reporter, UnitStats


class WorkerFailed(RuntimeError):
    """A worker process stopped with an error (its message is this one's)."""


Task = Callable[[int, Reporter], UnitStats]
"""One worker process's part: called with its index and a progress reporter."""


def run_processes(workers: int, task: Task, report: Reporter) -> UnitStats:
    """Run `task` in `workers` forked processes, relaying their progress to `report`.

    Forked, not spawned: the plan (rules included) is inherited, never pickled.
    Each process opens its own database connections.
    """
    context = multiprocessing.get_context("fork")
    messages: multiprocessing.Queue[tuple[Any, ...]] = context.Queue()

    parent = os.getpid()

    def child(index: int) -> None:
        def send(records: int, judged: int) -> None:
            if os.getppid() != parent:  # the parent was killed: stop, the checkpoints hold
                os._exit(1)
            messages.put(("progress", records, judged))

        try:
            stats = task(index, send)
            messages.put(("done", stats.records, stats.judged, stats.stored))
        except KeyboardInterrupt:
            messages.put(("stopped",))
        except BaseException as error:  # reported to the parent, which raises it
            messages.put(("error", f"{type(error).__name__}: {error}"))

    processes = [context.Process(target=child, args=(i,), daemon=True) for i in range(workers)]
    for process in processes:
        process.start()
    totals = [0, 0, 0]
    finished = 0
    errors: list[str] = []
    try:
        while finished < workers:
            try:
                message = messages.get(timeout=0.5)
            except queue.Empty:
                if not any(p.is_alive() for p in processes) and messages.empty():
                    errors.append("a worker process died without a word (killed?)")
                    break
                continue
            kind = message[0]
            if kind == "progress":
                report(message[1], message[2])
                continue
            finished += 1
            if kind == "done":
                totals = [t + v for t, v in zip(totals, message[1:], strict=True)]
            elif kind == "error":
                errors.append(message[1])
            else:
                raise KeyboardInterrupt
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    if errors:
        raise WorkerFailed("; ".join(errors))
    return UnitStats(*totals)
