"""`shadowdiff proxy`: answer from the primary, mirror to the candidate, publish both."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from gateway.config import ProxyConfig
from gateway.routes import RouteError, RouteTable, parse_route, read_routes
from gateway.server import serve
from gateway.sink import SinkConfig
from shadowdiff.brokers import bootstrap_option, resolve_brokers
from shadowdiff.settings import Settings


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


@click.command("proxy")
@click.option("--listen", default="127.0.0.1:8080", show_default=True, metavar="HOST:PORT")
@click.option("--primary", required=True, metavar="URL", help="the backend that answers clients")
@click.option("--candidate", required=True, metavar="URL", help="the rewrite, mirrored to")
@click.option(
    "--secondary", metavar="URL", help="a second primary, mirrored to as a noise baseline"
)
@click.option(
    "--sample",
    type=click.FloatRange(0.0, 1.0),
    default=1.0,
    show_default=True,
    help="share of requests mirrored and published",
)
@click.option(
    "--route",
    "routes",
    multiple=True,
    metavar="'[METHOD] /path/{param}'",
    help="a route template naming an endpoint (repeatable)",
)
@click.option(
    "--routes",
    "routes_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a file of routes, one `[METHOD] /path/{param}` a line",
)
@click.option(
    "--graphql-path",
    "graphql_paths",
    multiple=True,
    metavar="PATH",
    default=("/graphql",),
    show_default=True,
    help="paths whose requests are named by their GraphQL operation (repeatable)",
)
@click.option(
    "--mirror-side-effects",
    multiple=True,
    metavar="ENDPOINT_GLOB",
    help="mirror POST/PUT/PATCH/DELETE and mutations of these endpoints too, e.g. "
    "'POST /search' or '*' (repeatable)",
)
@click.option(
    "--primary-timeout",
    type=click.FloatRange(min=0.001),
    default=60.0,
    show_default=True,
    help="seconds the primary may take; past it the client gets 504",
)
@click.option(
    "--mirror-timeout",
    type=click.FloatRange(min=0.001),
    default=10.0,
    show_default=True,
    help="seconds a mirror call may take before it is published as a timeout",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=0),
    default=512 * 1024,
    show_default=True,
    help="response bodies past this are published as their SHA-256 only",
)
@click.option(
    "--queue-size",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="observations that may wait for Kafka; past it they are dropped and counted",
)
@click.option(
    "--metrics-path",
    default="/metrics",
    show_default=True,
    metavar="PATH",
    help="where Prometheus metrics are served (not proxied)",
)
@click.option(
    "--shutdown-timeout",
    type=click.FloatRange(min=0.0),
    default=30.0,
    show_default=True,
    help="seconds, on SIGTERM, for requests in flight and queued observations",
)
@bootstrap_option
@click.option("--topic", metavar="TOPIC", help="topic to publish to [EXCHANGES_TOPIC]")
def command(
    listen: str,
    primary: str,
    candidate: str,
    secondary: str | None,
    sample: float,
    routes: tuple[str, ...],
    routes_file: Path | None,
    graphql_paths: tuple[str, ...],
    mirror_side_effects: tuple[str, ...],
    primary_timeout: float,
    mirror_timeout: float,
    max_body_bytes: int,
    queue_size: int,
    metrics_path: str,
    shutdown_timeout: float,
    bootstrap: str | None,
    topic: str | None,
) -> None:
    """Reverse proxy: answer every client from PRIMARY, mirror to CANDIDATE, publish both.

    Each request is sent to the candidate (and secondary) concurrently, but the
    client's answer never waits for them. Both sides are published to Kafka as
    exchanges under one request ID (the client's X-Request-ID, else a new one).
    POST, PUT, PATCH, DELETE and GraphQL mutations reach the primary alone unless
    --mirror-side-effects names their endpoint. When Kafka is slow or down,
    observations are dropped and counted; traffic is never held up.
    Prometheus metrics are served at --metrics-path.

    \b
    Example:
      shadowdiff proxy --primary http://127.0.0.1:5000 --candidate http://127.0.0.1:6000 \\
          --route 'GET /users/{id}' --route '/orders/{id}/items'
    """
    settings = Settings()
    host, port = _listen(listen)
    try:
        parsed = [parse_route(text) for text in routes]
        if routes_file is not None:
            parsed.extend(read_routes(routes_file))
    except RouteError as error:
        raise click.BadParameter(str(error), param_hint="--route/--routes") from error
    try:
        config = ProxyConfig(
            primary=primary,
            candidate=candidate,
            secondary=secondary,
            routes=RouteTable(parsed),
            graphql_paths=graphql_paths,
            sample=sample,
            mirror_side_effects=mirror_side_effects,
            primary_timeout_s=primary_timeout,
            mirror_timeout_s=mirror_timeout,
            max_body_bytes=max_body_bytes,
            metrics_path=metrics_path,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    sink = SinkConfig(
        bootstrap=",".join(resolve_brokers(bootstrap, settings)),
        topic=topic or settings.exchanges_topic,
        queue_size=queue_size,
    )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # aiokafka logs every failed reconnection; the sink says once what an outage means.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    def ready(address: str) -> None:
        click.echo(
            f"proxying {address} to {primary}, mirroring to {candidate}; Ctrl-C to stop", err=True
        )

    try:
        import uvloop  # only the proxy runs on it

        # uvloop's event loop: the proxy spends most of its CPU in the loop's I/O
        # paths, and every millisecond of it is added to the client's latency.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(
                serve(config, sink, host, port, shutdown_timeout_s=shutdown_timeout, on_ready=ready)
            )
    except OSError as error:
        raise click.ClickException(f"cannot listen on {listen}: {error}") from error
