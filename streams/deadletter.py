"""Records the worker could not use go to the dead-letter topic, never away.

Each dead letter keeps the original key and bytes, with headers saying why
(`shadowdiff-reason`, a sentence; `shadowdiff-failure`, a short stable code) and
where it came from, so it can be inspected and replayed after a fix.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

log = logging.getLogger("shadowdiff.deadletter")

# Kafka's default message size limit is 1 MiB: an oversized original is kept as
# its first bytes, and its full length is recorded in a header.
MAX_DEAD_LETTER_BYTES = 512 * 1024


class DeadLetters:
    """Sends failed records to a topic and counts them per failure code."""

    def __init__(self, topic: Any) -> None:
        self.topic = topic
        self.counts: Counter[str] = Counter()

    async def send(self, message: Any, failure: str, reason: str) -> None:
        value: bytes = message.value or b""
        headers = {
            "shadowdiff-failure": failure.encode(),
            "shadowdiff-reason": reason.encode(),
            "shadowdiff-source": f"{message.topic}/{message.partition}/{message.offset}".encode(),
        }
        if len(value) > MAX_DEAD_LETTER_BYTES:
            headers["shadowdiff-original-bytes"] = str(len(value)).encode()
            value = value[:MAX_DEAD_LETTER_BYTES]
        self.counts[failure] += 1
        log.warning(
            "dead letter (%s) from %s: %s", failure, headers["shadowdiff-source"].decode(), reason
        )
        await self.topic.send(key=message.key, value=value, headers=headers)
