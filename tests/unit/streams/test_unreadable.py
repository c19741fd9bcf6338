"""What the worker says, and the status it exits with, on a batch it cannot read."""

from __future__ import annotations

from aiokafka.errors import CorruptRecordException, KafkaConnectionError, UnsupportedCodecError

from streams.unreadable import EXIT_CORRUPT_BATCH, EXIT_MISSING_CODEC, explain

WHERE = {"topic": "shadowdiff.exchanges", "group": "shadowdiff", "bootstrap": "kafka:9092"}


def _raised_from(cause: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("consumer crashed") from cause
    except RuntimeError as error:
        return error


def test_a_missing_codec_names_the_library_to_install() -> None:
    found = explain(
        UnsupportedCodecError("Libraries for zstd compression codec not found"), **WHERE
    )
    assert found is not None
    assert found.status == EXIT_MISSING_CODEC
    assert "zstd compression codec not found" in found.message
    assert "cramjam" in found.message and "aiokafka[snappy,lz4,zstd]" in found.message
    assert "'shadowdiff' on shadowdiff.exchanges" in found.message


def test_a_corrupt_batch_says_how_to_find_and_pass_it() -> None:
    found = explain(_raised_from(CorruptRecordException("Invalid CRC - tp")), **WHERE)
    assert found is not None
    assert found.status == EXIT_CORRUPT_BATCH
    assert "Invalid CRC" in found.message
    assert "--describe --group shadowdiff" in found.message
    assert "--bootstrap-server kafka:9092" in found.message
    assert "nothing is skipped" in found.message


def test_other_failures_are_not_explained_as_batches() -> None:
    assert explain(None, **WHERE) is None
    assert explain(KafkaConnectionError("no broker"), **WHERE) is None
    assert explain(ValueError("x"), **WHERE) is None
    assert EXIT_MISSING_CODEC != EXIT_CORRUPT_BATCH
