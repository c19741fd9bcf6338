"""Where a reprocessing run may resume reading, per unit of its source.

A checkpoint is saved after a batch of results is committed, in a transaction
of its own: one that lags behind the results only makes a resumed run re-read
a little more (the writer ignores results it already has), never lose one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from storage.engine import guard
from storage.models import run_checkpoints
from storage.writer_sql import insert


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Resume `unit` at record `record` (0-based) of `file`, the join clock at `watermark`.

    `done`: the unit was read to its end and every result of it is stored.
    """

    unit: str
    file: str
    record: int
    watermark: datetime | None = None
    done: bool = False


def load_checkpoints(engine: Engine, run_id: str) -> dict[str, Checkpoint]:
    """The saved checkpoints of `run_id`, by unit."""
    query = select(run_checkpoints).where(run_checkpoints.c.run_id == run_id)
    with guard(engine), engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return {
        row["unit"]: Checkpoint(
            unit=row["unit"],
            file=row["file"],
            record=int(row["record"]),
            watermark=row["watermark"],
            done=bool(row["done"]),
        )
        for row in rows
    }


def save_checkpoint(engine: Engine, run_id: str, checkpoint: Checkpoint) -> None:
    """Record `checkpoint` for its unit, replacing the previous one."""
    row = {
        "run_id": run_id,
        "unit": checkpoint.unit,
        "file": checkpoint.file,
        "record": checkpoint.record,
        "watermark": checkpoint.watermark,
        "done": checkpoint.done,
    }
    with guard(engine), engine.begin() as connection:
        statement = insert(connection, run_checkpoints)
        statement = statement.on_conflict_do_update(
            index_elements=["run_id", "unit"],
            set_={name: statement.excluded[name] for name in row if name not in ("run_id", "unit")},
        )
        connection.execute(statement, [row])
