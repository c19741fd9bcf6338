"""`shadowdiff worker` as a benchmark child, and the row count it is judged by."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from benchmarks._child import Child

GRACE_S = 10.0  # past the generator's 3 s timeouts, as in the integration test
TICK_S = 1.0


@contextmanager
def worker_child(
    bootstrap: str, db_url: str, topic: str, workdir: Path, label: str, metrics_port: int = 0
) -> Iterator[Child]:
    """A started worker on `topic` (its own consumer group and side topics), stopped on exit.

    It serves Prometheus metrics on `metrics_port` (0: none).

    The topic name minus its last dot-part prefixes the comparisons and
    dead-letter topics, so two workers of one run never share them.
    """
    prefix = topic.rsplit(".", 1)[0]
    worker_id = f"bench-{label}-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db_url,
        "EXCHANGES_TOPIC": topic,
        "COMPARISONS_TOPIC": f"{prefix}.comparisons",
        "DEADLETTER_TOPIC": f"{prefix}.deadletter",
        "WORKER_ID": worker_id,
        "GRACE_PERIOD_S": str(GRACE_S),
        "TICK_INTERVAL_S": str(TICK_S),
        "METRICS_PORT": str(metrics_port),
    }
    child = Child(
        "shadowdiff", ["worker", "--loglevel", "warning"], env, workdir / f"worker-{label}.log"
    )
    try:
        yield child.start()
    finally:
        child.stop()
        # The worker keeps its Faust data directory here (see shadowdiff worker).
        shutil.rmtree(
            Path(tempfile.gettempdir()) / f"shadowdiff-worker-{worker_id}", ignore_errors=True
        )


def rows_stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM comparisons")).scalar_one())
