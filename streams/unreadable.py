"""A Kafka batch the worker cannot read: what it is, what to do, and how the worker exits.

Records are dead-lettered one by one, but a record batch is below them: when the
consumer cannot decompress a batch (its codec's library is missing) or finds it
corrupt (a CRC that does not match), no record of it reaches the agent, so none
can be dead-lettered, and the only choices are to stop or to skip the batch.
Skipping would lose every record in it without a trace, so the worker stops.

Nothing is lost by stopping: the batch's records were never acknowledged, so the
committed offset of its partition is at or before the batch, and a restarted
worker reads it again. The worker exits with a status that tells a supervisor
what kind of restart helps (`EXIT_MISSING_CODEC`, `EXIT_CORRUPT_BATCH`), after a
message saying what to do (`explain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aiokafka.errors import CorruptRecordException, UnsupportedCodecError

EXIT_MISSING_CODEC: Final = 78
"""EX_CONFIG: this installation lacks a codec library; restarting it as it is cannot help."""

EXIT_CORRUPT_BATCH: Final = 65
"""EX_DATAERR: the log holds a batch no consumer can read; an operator must decide."""


@dataclass(frozen=True, slots=True)
class UnreadableBatch:
    """Why the worker stopped on a batch, the message for the operator, the exit status."""

    cause: str
    message: str
    status: int


def _causes(error: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def explain(
    error: BaseException | None, *, topic: str, group: str, bootstrap: str
) -> UnreadableBatch | None:
    """The `UnreadableBatch` behind `error` (or its causes), or None when it is another failure.

    `topic`, `group` and `bootstrap` name where the batch is, for the commands in
    the message.
    """
    where = (
        f"The batch was not acknowledged: the committed offsets of consumer group {group!r} "
        f"on {topic} stay at or before it, and a restarted worker reads it again "
        f"(nothing is skipped)."
    )
    for cause in _causes(error):
        if isinstance(cause, UnsupportedCodecError):
            return UnreadableBatch(
                cause=str(cause),
                message=(
                    f"cannot read a Kafka record batch of {topic}: {cause}.\n"
                    f"Install the codec libraries shadowdiff depends on (cramjam for snappy, "
                    f"lz4 and zstd: `pip install 'aiokafka[snappy,lz4,zstd]'`, or reinstall "
                    f"shadowdiff), then start the worker again.\n{where}"
                ),
                status=EXIT_MISSING_CODEC,
            )
        if isinstance(cause, CorruptRecordException):
            return UnreadableBatch(
                cause=str(cause),
                message=(
                    f"cannot read a Kafka record batch of {topic}: it is corrupt ({cause}).\n"
                    f"Find the partition that stopped with `kafka-consumer-groups.sh "
                    f"--bootstrap-server {bootstrap} --describe --group {group}` and inspect "
                    f"its log segment with `kafka-dump-log.sh --files SEGMENT "
                    f"--print-data-log`. To give up the batch's records, move the group past "
                    f"it (`kafka-consumer-groups.sh --reset-offsets --to-offset N --topic "
                    f"{topic}:PARTITION --group {group} --execute`, workers stopped).\n{where}"
                ),
                status=EXIT_CORRUPT_BATCH,
            )
    return None
