"""What tests that put `shadowdiff proxy` between a client and tiny backends need.

- `Backend`: an aiohttp application on a loopback port, served from a thread of
  its own, that can be stopped (connections refused) and held (requests hang).
- `ProxyProcess`: `shadowdiff proxy` in a subprocess, its log in a file, its
  metrics read over HTTP.
- `get`: one request with the standard library's client, so the test sees the
  raw status line, header list and body bytes the proxy wrote.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from services._process import free_port

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Reply:
    """What a client read: status, reason, headers in order, body bytes."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def same_headers(self) -> list[tuple[str, str]]:
        """Headers as a sorted list of (lower-case name, value), repeats kept."""
        return sorted((name.lower(), value) for name, value in self.headers)


def get(
    port: int,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(response.status, response.reason, response.getheaders(), response.read())
    finally:
        connection.close()


class Backend:
    """A loopback HTTP server around `handler`, run on its own event loop thread.

    `hold()` makes every later request wait until `release()` (or the server
    stops), counting them in `held`, so a test can act while requests are in flight.
    """

    def __init__(self, handler: Handler, port: int | None = None) -> None:
        self.handler = handler
        self.port = port or free_port()
        self.requests = 0
        self.held = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner: web.AppRunner | None = None
        self._gate: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self, coroutine: Awaitable[object]) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)  # type: ignore[arg-type]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self._gate is not None:
            gate = self._gate
            self.held += 1
            await gate.wait()
        return await self.handler(request)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> Backend:
        self._run(self._start())
        return self

    def stop(self) -> None:
        self._run(self._stop())

    def hold(self) -> None:
        async def make() -> None:
            self._gate = asyncio.Event()

        self._run(make())

    def release(self) -> None:
        async def open_gate() -> None:
            if self._gate is not None:
                self._gate.set()
                self._gate = None

        self._run(open_gate())

    def close(self) -> None:
        self.release()
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class ProxyProcess:
    """`shadowdiff proxy` on a free loopback port, in a subprocess."""

    def __init__(self, args: list[str], log: Path, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = log
        self.args = ["--listen", f"127.0.0.1:{self.port}", *args]
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> ProxyProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shadowdiff", "proxy", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            try:
                get(self.port, "/metrics", timeout_s=2)
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"proxy not answering after {timeout_s}s\n{self.tail()}")

    def metrics(self) -> dict[str, float]:
        """Every sample of /metrics, by its name and labels as written."""
        text = get(self.port, "/metrics").body.decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples

    def metric(self, name: str) -> float:
        """The sum of every sample of one metric (all its label values)."""
        return sum(v for k, v in self.metrics().items() if k == name or k.startswith(name + "{"))

    def terminate(self, timeout_s: float = 60.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout_s)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return f"--- {self.log.name} ---\n{text[-chars:]}"
