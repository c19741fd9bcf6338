"""Running the proxy until a signal, then shutting down without losing requests.

On SIGTERM or SIGINT the listener closes at once (new connections are
refused), requests in flight are answered (up to `shutdown_timeout_s`), mirror
calls in flight finish under their own timeout, and the observations queued
are published while Kafka answers, within the same bound.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable

from aiohttp import web

from gateway.config import ProxyConfig
from gateway.metrics import ProxyMetrics
from gateway.proxy import Proxy, drain
from gateway.sink import ObservationSink, SinkConfig


async def serve(
    config: ProxyConfig,
    sink_config: SinkConfig,
    host: str,
    port: int,
    *,
    shutdown_timeout_s: float = 30.0,
    on_ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> ProxyMetrics:
    """Serve on `host:port` until SIGTERM/SIGINT (or `stop` is set); return the metrics.

    `on_ready` is called with the listening address once connections are accepted.
    """
    metrics = ProxyMetrics()
    sink = ObservationSink(sink_config, metrics)
    proxy = Proxy(config, sink, metrics)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sink.start()
    await proxy.start()
    runner = web.AppRunner(
        proxy.application(), shutdown_timeout=shutdown_timeout_s, access_log=None
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=1024)
        await site.start()
        # Everything alive now (modules, schemas, connection pools) lives as long
        # as the process: kept out of the collector's full passes, which would
        # otherwise walk it all and stall every request in flight for tens of ms.
        gc.collect()
        gc.freeze()
        if on_ready is not None:
            on_ready(f"http://{host}:{port}")
        await stop.wait()
    finally:
        # Stops listening, then waits for the handlers in flight.
        await runner.cleanup()
        await drain(proxy, sink, shutdown_timeout_s)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return metrics
