"""Sub-commands of `shadowdiff`, one module each, imported only when used.

Every module here exposes its click command as `command`, named as the module.
A command's module is imported when that command runs (or its own `--help` is
asked for), never to list the commands: together they import Kafka clients,
Alembic, FastAPI and more, which costs most of a second that a query or
`shadowdiff --help` should not pay. `SUMMARIES` gives the line `shadowdiff --help`
shows for each, so listing them imports nothing; a module missing from it still
works (it is imported for the listing), and a unit test asks for its line.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

SUMMARIES: dict[str, str] = {
    "alerts": "Alerts on divergence: mismatch spikes, candidate errors, latency.",
    "archive": "Write every exchange record to Avro files, one per partition and hour.",
    "db": "Manage the result store: its schema (Alembic migrations) and retention.",
    "deadletters": "Records the worker dead-lettered: time, failure code, reason.",
    "demo": "Join, compare and store a capture in one process, then print the report.",
    "diff": "Compare the response bodies in PRIMARY_FILE and CANDIDATE_FILE.",
    "mismatches": "Mismatch rates per endpoint, with the most frequent differing paths.",
    "noise": "Paths whose differences are noise, with rules to paste.",
    "proxy": "Reverse proxy: answer every client from PRIMARY, mirror to CANDIDATE.",
    "publish": "Send every exchange in CAPTURE (.jsonl or .avro) to Kafka.",
    "readiness": "Per endpoint: ready to move to the candidate, or not ready and why.",
    "reprocess": "Judge history (Kafka, a capture, an archive) again under new rules.",
    "rules": "Check comparison rules files before a worker or a reprocessing uses them.",
    "runs": "List the runs: the live stream's, and every reprocessing.",
    "serve": "Serve the query API (/api/v1, OpenAPI at /openapi.json) and dashboard.",
    "show": "Show the stored comparison of REQUEST_ID and its differences.",
    "signatures": "The distinct problems: a million mismatching requests as a few rows.",
    "status": "Show the Kafka, database and topic settings in force.",
    "timeseries": "Mismatch rate, volume, orphans, errors and latency per time step.",
    "worker": "Run a worker: consume the exchanges topic, store verdicts.",
}


def names() -> list[str]:
    """Every sub-command, found as the modules of this package (nothing imported)."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__))


def load(name: str) -> click.Command | None:
    """The command `name`, importing its module; None when there is no such command."""
    if name not in names():
        return None
    command: click.Command = importlib.import_module(f"{__name__}.{name}").command
    return command


def summary(name: str) -> str:
    """The one line `shadowdiff --help` shows for `name`."""
    if name in SUMMARIES:
        return SUMMARIES[name]
    command = load(name)
    return command.get_short_help_str(limit=80) if command else ""
