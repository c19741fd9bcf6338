"""A do-nothing Faust agent: the floor under any Faust pipeline's per-event cost.

Run as `python -m benchmarks._faust_noop` with its configuration in the
environment (the pipeline benchmark does this):

- NOOP_BROKER: host:port of the Kafka broker
- NOOP_TOPIC: the topic to read from the beginning (raw bytes keys and values)
- NOOP_EXPECTED: how many records there are to see
- NOOP_REPORT: a file to write once all of them were seen
- NOOP_APP_ID, NOOP_DATADIR: consumer group / app id and Faust's data directory

The agent iterates `stream.events()` exactly as the worker's join agent does, and
does nothing with an event but count it. When the count reaches NOOP_EXPECTED it
writes `{"first": T1, "last": T2, "count": N}` (wall-clock seconds of the first
and the N-th event) to NOOP_REPORT, then idles until it is terminated.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import faust


def build_app() -> faust.App:
    """The app, configured like the worker's (same consumer settings, raw codec)."""
    expected = int(os.environ["NOOP_EXPECTED"])
    report = Path(os.environ["NOOP_REPORT"])
    app = faust.App(
        os.environ.get("NOOP_APP_ID", "shadowdiff-bench-noop"),
        broker=f"kafka://{os.environ['NOOP_BROKER']}",
        store="memory://",
        datadir=os.environ.get("NOOP_DATADIR", ".cache/bench-noop"),
        topic_partitions=4,
        topic_replication_factor=1,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        processing_guarantee="at_least_once",
    )
    raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "value_serializer": "raw"}
    topic = app.topic(os.environ["NOOP_TOPIC"], **raw)

    @app.agent(topic, name="noop")
    async def noop(stream: faust.StreamT[bytes]) -> None:
        seen, first = 0, 0.0
        async for _event in stream.events():
            seen += 1
            if seen == 1:
                first = time.time()
            if seen == expected:
                # Written aside and renamed, so the reader never sees half a file.
                partial = report.with_suffix(".partial")
                summary = {"first": first, "last": time.time(), "count": seen}
                partial.write_text(json.dumps(summary), encoding="utf-8")
                partial.replace(report)

    return app


def main() -> None:
    from faust import Worker

    logging.getLogger("faust").setLevel(logging.WARNING)
    app = build_app()
    app.finalize()
    app.worker_init()
    app.worker_init_post_autodiscover()
    Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
