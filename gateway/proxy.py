"""The mirroring reverse proxy: the client is answered by the primary alone.

For each request the proxy

1. reads the request once and names its endpoint (route table, GraphQL
   operation, or the path's shape) and its request ID (the client's
   ``X-Request-ID``, else a new UUID, passed to every backend);
2. decides whether to mirror it: sampled in, not a side effect (POST, PUT,
   PATCH, DELETE, GraphQL mutation) unless configured, and fewer than
   `max_mirrors` mirror calls in flight;
3. starts the candidate's (and secondary's) call as a background task, then
   calls the primary and answers the client with the primary's status, reason,
   end-to-end headers and body bytes, untouched (content coding included);
4. offers every side to the `ObservationSink`, which never blocks.

A mirror's call runs under its own timeout, on its own connection pool, and
its outcome (an answer, a timeout, a refused connection) only ever becomes an
observation: it cannot delay or fail the client's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import orjson
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from gateway import graphql
from gateway.config import SIDE_EFFECT_METHODS, ProxyConfig
from gateway.headers import REQUEST_ID, decoded, end_to_end, flatten
from gateway.metrics import CONTENT_TYPE, ProxyMetrics
from gateway.sink import ObservationSink
from streams.exchange import Exchange, Side

# The client's own headers go through as sent; aiohttp must not add its defaults.
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A client's request as read once, and what the proxy decided about it."""

    method: str
    raw_path: str
    path: str
    query: str
    headers: CIMultiDict[str]
    body: bytes
    request_id: str
    endpoint: str
    side_effect: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """What one backend said, or `error` when it said nothing (status None)."""

    started_at: datetime
    latency_ms: float
    status: int | None = None
    reason: str | None = None
    headers: CIMultiDict[str] | None = None
    body: bytes = b""
    error: str | None = None


def _graphql_request(incoming_body: bytes, query: Mapping[str, str]) -> tuple[str, str | None]:
    """(document, operation name) of a GraphQL request; ("", None) when it is not one."""
    if "query" in query:
        return query["query"], query.get("operationName")
    try:
        payload = orjson.loads(incoming_body)
    except orjson.JSONDecodeError:
        return "", None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "", None
    name = payload.get("operationName")
    return payload["query"], name if isinstance(name, str) else None


def _outcome(error: str | None) -> str:
    """The primary's outcome as a metric label: a closed set, never an error's text."""
    if error is None:
        return "answered"
    return error.replace(" ", "_") if error in ("timeout", "connection refused") else "error"


def _media_type(headers: CIMultiDict[str] | None) -> str | None:
    value = headers.get("Content-Type") if headers is not None else None
    return value.split(";", 1)[0].strip().lower() or None if value else None


class Proxy:
    """The proxy's state: backends' connection pools, mirror tasks, the sink."""

    def __init__(self, config: ProxyConfig, sink: ObservationSink, metrics: ProxyMetrics) -> None:
        self.config = config
        self.sink = sink
        self.metrics = metrics
        self._sessions: dict[Side, aiohttp.ClientSession] = {}
        self._mirrors: set[asyncio.Task[None]] = set()
        self._bases: dict[Side, str] = {"primary": config.primary, "candidate": config.candidate}
        if config.secondary is not None:
            self._bases["secondary"] = config.secondary

    async def start(self) -> None:
        """Open one connection pool per backend (a slow mirror never starves the primary)."""
        for side in self._bases:
            self._sessions[side] = aiohttp.ClientSession(
                auto_decompress=False,  # the client gets the primary's bytes as they came
                connector=aiohttp.TCPConnector(limit=0 if side == "primary" else 100),
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def close(self) -> None:
        """Let mirror calls in flight finish (each is bounded by its timeout), then close."""
        if self._mirrors:
            await asyncio.wait(self._mirrors, timeout=self.config.mirror_timeout_s + 1.0)
        for task in self._mirrors:
            task.cancel()
        for session in self._sessions.values():
            await session.close()

    @property
    def mirrors_in_flight(self) -> int:
        return len(self._mirrors)

    def application(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_request_body_bytes)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == self.config.metrics_path and request.method == "GET":
            return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})
        incoming = await self._read(request)
        sides = self._mirror_sides(incoming)
        for side in sides:
            self.metrics.mirrored.labels(side).inc()
            task = asyncio.create_task(self._mirror(side, incoming))
            self._mirrors.add(task)
            task.add_done_callback(self._mirrors.discard)
        answer = await self._call("primary", incoming, self.config.primary_timeout_s)
        self.metrics.requests.labels(_outcome(answer.error)).inc()
        response = self._respond(answer)
        if sides:
            # The client's answer goes out first; building the observation can wait.
            await response.prepare(request)
            await response.write_eof()
            self.sink.offer(self._exchange("primary", incoming, answer))
        return response

    async def _read(self, request: web.Request) -> Incoming:
        body = await request.read()
        headers = end_to_end(request.headers)
        request_id = headers.get(REQUEST_ID) or str(uuid.uuid4())
        headers[REQUEST_ID] = request_id
        if request.remote:
            prior = headers.get("X-Forwarded-For")
            headers["X-Forwarded-For"] = f"{prior}, {request.remote}" if prior else request.remote
        # Each backend sees its own Host; the one the client asked for travels here.
        headers.setdefault("X-Forwarded-Host", request.host)
        headers.setdefault("X-Forwarded-Proto", request.scheme)
        method = request.method
        endpoint = ""
        side_effect = method in SIDE_EFFECT_METHODS
        if request.path in self.config.graphql_paths:
            document, name = _graphql_request(body, request.query)
            operation = graphql.operation(document, name) if document else None
            if operation is not None:
                endpoint = operation.endpoint
                side_effect = operation.type == "mutation"
        return Incoming(
            method=method,
            raw_path=request.raw_path,
            path=request.path,
            query=request.query_string,
            headers=headers,
            body=body,
            request_id=request_id,
            endpoint=endpoint or self.config.routes.endpoint(method, request.path),
            side_effect=side_effect,
        )

    def _mirror_sides(self, incoming: Incoming) -> list[Side]:
        """The mirror sides this request goes to; none (and why, counted) when skipped."""
        config = self.config
        if config.sample < 1.0 and random.random() >= config.sample:
            self.metrics.not_mirrored.labels("sampled_out").inc()
            return []
        if incoming.side_effect and not config.side_effects_mirrored(incoming.endpoint):
            self.metrics.not_mirrored.labels("side_effect").inc()
            return []
        if len(self._mirrors) >= config.max_mirrors:
            self.metrics.not_mirrored.labels("mirror_limit").inc()
            return []
        return [side for side in self._bases if side != "primary"]

    async def _mirror(self, side: Side, incoming: Incoming) -> None:
        answer = await self._call(side, incoming, self.config.mirror_timeout_s)
        if answer.error is not None:
            self.metrics.mirror_errors.labels(side).inc()
        self.sink.offer(self._exchange(side, incoming, answer))

    async def _call(self, side: Side, incoming: Incoming, timeout_s: float) -> Answer:
        """Send `incoming` to one backend; never raises for the backend's failures."""
        url = URL(self._bases[side].rstrip("/") + incoming.raw_path, encoded=True)
        started_at = datetime.now(UTC)
        began = time.perf_counter()

        def elapsed() -> float:
            return (time.perf_counter() - began) * 1000.0

        try:
            async with self._sessions[side].request(
                incoming.method,
                url,
                headers=incoming.headers,
                data=incoming.body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                skip_auto_headers=_SKIP_AUTO_HEADERS,
            ) as response:
                body = await response.read()
                return Answer(
                    started_at,
                    elapsed(),
                    status=response.status,
                    reason=response.reason,
                    headers=CIMultiDict(response.headers),
                    body=body,
                )
        except TimeoutError:
            return Answer(started_at, elapsed(), error="timeout")
        except aiohttp.ClientConnectorError as error:
            refused = isinstance(error.os_error, ConnectionRefusedError)
            return Answer(
                started_at, elapsed(), error="connection refused" if refused else str(error)
            )
        except (aiohttp.ClientError, OSError) as error:
            return Answer(started_at, elapsed(), error=f"{type(error).__name__}: {error}")

    def _exchange(self, side: Side, incoming: Incoming, answer: Answer) -> Exchange:
        headers = answer.headers if answer.headers is not None else CIMultiDict()
        response_headers = end_to_end(headers)
        request_body = incoming.body
        if len(request_body) > self.config.max_body_bytes:
            request_body = b""
        return Exchange(
            request_id=incoming.request_id,
            side=side,
            endpoint=incoming.endpoint,
            method=incoming.method,
            path=incoming.path,
            query=incoming.query,
            started_at=answer.started_at,
            status=answer.status,
            request_headers=flatten(incoming.headers.items()),
            request_body=request_body,
            response_headers=flatten(response_headers.items()),
            response_body=decoded(answer.body, headers.get("Content-Encoding")),
            content_type=_media_type(headers),
            latency_ms=answer.latency_ms,
            error=answer.error,
        ).within(self.config.max_body_bytes)

    def _respond(self, answer: Answer) -> web.Response:
        if answer.status is None or answer.headers is None:
            status = 504 if answer.error == "timeout" else 502
            return web.Response(status=status, text=f"primary backend: {answer.error}\n")
        return web.Response(
            status=answer.status,
            reason=answer.reason,
            headers=end_to_end(answer.headers),
            body=answer.body,
        )


async def drain(proxy: Proxy, sink: ObservationSink, timeout_s: float) -> None:
    """Close `proxy` and then `sink`, publishing what remains within `timeout_s`."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await proxy.close()
    await sink.close(timeout_s)
