"""A minimal Faust app for the services smoke test: count words into a Table.

Run as a worker in its own process (`python -m faust -A <this module> worker`),
configured by environment variables so each test gets a unique app id, topic and
data directory:

- SMOKE_APP_ID: the Faust app id (also names the table's changelog topic)
- SMOKE_BROKER: host:port of the Kafka broker
- SMOKE_TOPIC: the input topic (raw keys; values are ignored)
- SMOKE_DATADIR: the worker's data directory
"""

from __future__ import annotations

import os

import faust

app = faust.App(
    os.environ.get("SMOKE_APP_ID", "shadowdiff-smoke"),
    broker=f"kafka://{os.environ.get('SMOKE_BROKER', '127.0.0.1:9092')}",
    datadir=os.environ.get("SMOKE_DATADIR", "/tmp/shadowdiff-smoke"),
    store="memory://",
    topic_partitions=4,
    topic_replication_factor=1,
    consumer_auto_offset_reset="earliest",
    web_enabled=False,
)

words = app.topic(
    os.environ.get("SMOKE_TOPIC", "smoke-words"),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)

#: Word → how many times it was seen. Its changelog topic is `<app id>-counts-changelog`.
counts = app.Table("counts", default=int, partitions=4, key_type=str, value_type=int)


@app.agent(words)
async def count(stream: faust.StreamT[bytes]) -> None:
    async for event in stream.events():
        key = event.key
        assert isinstance(key, bytes)
        word = key.decode()
        counts[word] += 1
