"""How long a `shadowdiff` command takes to start, against a bare interpreter.

Each command runs as a new process (`python -m shadowdiff ...`), as a person
types it; the median of BENCH_STARTUP_ROUNDS (default 5) is printed, and its
ratio to `python -c pass` and to `import sqlalchemy` measured in the same run
(the floor of every command that reads the store). The query commands run
against a small demo database made first, named by --db, and `mismatches`
once more by DATABASE_URL (which the command reads as `--db`'s default).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_s(argv: list[str], rounds: int, cwd: Path, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    rounds = int(os.environ.get("BENCH_STARTUP_ROUNDS", "5"))
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        subprocess.run(
            [python, "-m", "shadowdiff", "demo"], cwd=here, capture_output=True, check=True
        )
        db = ["--db", "sqlite:///shadowdiff-demo.sqlite"]
        bare = _median_s([python, "-c", "pass"], rounds, here)
        floor = _median_s([python, "-c", "import sqlalchemy"], rounds, here)
        print(f"startup_python_s: {bare:.3f}")
        print(f"startup_import_sqlalchemy_s: {floor:.3f}")
        commands = {
            "help": ["--help"],
            "status": ["status"],
            "mismatches": ["mismatches", *db],
            "show": ["show", "no-such-request", *db],
            "signatures": ["signatures", *db],
            "runs": ["runs", *db],
        }
        for name, args in commands.items():
            took = _median_s([python, "-m", "shadowdiff", *args], rounds, here)
            _report(name, took, bare, floor)
        # The database from DATABASE_URL rather than --db, as a deployment names it.
        env = {**os.environ, "DATABASE_URL": db[1]}
        took = _median_s([python, "-m", "shadowdiff", "mismatches"], rounds, here, env)
        _report("mismatches_database_url", took, bare, floor)


def _report(name: str, took: float, bare: float, floor: float) -> None:
    print(
        f"startup_{name}_s: {took:.3f} "
        f"(x{took / bare:.1f} bare python, x{took / floor:.2f} import sqlalchemy)"
    )
