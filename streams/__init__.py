"""Everything that moves exchanges: the wire format, the join, and the worker.

`codec` / `capture` / `publisher` carry exchanges on Kafka and at rest; `join`
pairs their sides in event time; `judge` turns pairs and orphans into results;
`pipeline` runs join → judge → store in one process, and `app` runs the same on
Faust, acknowledging records (`acks`) only once their verdicts are stored (`outbox`).
"""
