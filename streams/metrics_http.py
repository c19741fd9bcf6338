"""`/metrics` over HTTP, served on the worker's own event loop.

Serving from the loop (aiohttp, which Faust already brings) rather than
prometheus_client's server thread means the numbers read at scrape time (the
join's state, dead-letter counts, offsets) are read by the loop that writes
them, never half-way through an update.

The port is bound before the worker starts (`bind`), so a port in use stops the
worker at once with a message saying what to change, instead of failing later
inside Faust's start-up.
"""

from __future__ import annotations

import errno
import socket

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

DEFAULT_METRICS_PORT = 9478
"""Where `shadowdiff worker` serves `/metrics` unless told otherwise (0 turns it off)."""


class MetricsPortUnavailable(RuntimeError):
    """The metrics port could not be bound; the message says what to do."""


def bind(port: int, host: str = "0.0.0.0") -> socket.socket:
    """A listening socket on `host:port`; `MetricsPortUnavailable` when it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except OSError as error:
        sock.close()
        hint = (
            "another process (a second worker on this host?) listens there"
            if error.errno == errno.EADDRINUSE
            else str(error)
        )
        raise MetricsPortUnavailable(
            f"cannot serve metrics on {host}:{port}: {hint}. Give each worker on a host "
            f"its own METRICS_PORT (or --metrics-port), or 0 to serve no metrics."
        ) from error
    sock.setblocking(False)
    return sock


async def serve(registry: CollectorRegistry, sock: socket.socket) -> web.AppRunner:
    """Serve `registry` at `/metrics` on `sock` until the returned runner is cleaned up."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner
