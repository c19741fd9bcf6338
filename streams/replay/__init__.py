"""Replaying history: the archive of raw exchanges, and reprocessing runs over it.

A package of its own inside `streams/` because it is a family of batch jobs
beside the Faust worker, not part of it: they read history (captures, archive
directories, bounded Kafka ranges), feed it through the worker's own join,
judge and writer, and keep their own resume points. Nothing here is imported by
the worker.

- `layout`: archive file names (partition, hour of event time, offset range).
- `archive_file`, `archive`, `archiver`: one file being written and made
  durable; one partition's files and safe commit offset; the consumer group.
- `sources`: captures and archive directories as units of ordered records.
- `resume`: the position before which every request is stored (pure).
- `runner`: one unit through join → judge → store, with checkpoints.
- `progress`: the progress line (records, pairs per second, ETA).
- `reprocess`: a run over files; `kafka_source`: a run over a Kafka range;
  `workers`: the processes either runs on.
"""
