"""A Python subprocess for a benchmark: started, watched, always stopped.

The worker and the do-nothing Faust app run as children so that each gets a
process (and an interpreter) of its own, as it would in production. Output goes
to a log file, whose tail goes into the error when a child dies early.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")


class ChildDied(RuntimeError):
    """The child exited while the benchmark still needed it."""


class Child:
    """`python -m MODULE ARGS...` with `env`, its output in `log`.

    Contract: `stop()` (and leaving the `with` block) leaves no process behind:
    SIGTERM, then SIGKILL past `grace_s`.
    """

    def __init__(self, module: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.argv = [sys.executable, "-m", module, *args]
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> Child:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ChildDied("not started")
        return self.process.pid

    def check(self) -> None:
        """Raise `ChildDied` (with the log's tail) when the child has exited."""
        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            raise ChildDied(f"{' '.join(self.argv[1:])} exited ({code}):\n{self.tail()}")

    def wait_for(self, probe: Callable[[], T | None], timeout_s: float, every_s: float = 0.1) -> T:
        """Poll `probe` until it returns something other than None; the child must live."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = probe()
            if found is not None:
                return found
            self.check()
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up after {timeout_s:.0f}s:\n{self.tail()}")
            time.sleep(every_s)

    def stop(self, grace_s: float = 20.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no output)"

    def __enter__(self) -> Child:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
