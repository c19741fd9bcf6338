"""`shadowdiff proxy` on real Kafka and PostgreSQL, between a client and two backends.

The backends are tiny aiohttp applications on loopback: a primary and a
candidate that differs from it on purpose (one user's name, one large body).
Every test sends its requests through the proxy and checks, with the worker
judging what the proxy published:

- clients get the primary's answer byte for byte (status, reason, end-to-end
  headers, body, content coding included), and both sides land and are judged,
  the planted differences found and side effects never sent to the candidate;
- a candidate that refuses connections, or hangs, never touches the client:
  `error_candidate`, or `missing_candidate` when the proxy dies mid-mirror;
- Kafka stopped mid-run: every client still answered, observations dropped and
  counted, publishing resumed once the broker is back;
- SIGTERM with a request in flight: it is answered, its sides published.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from aiohttp import web
from aiokafka import AIOKafkaConsumer
from sqlalchemy import Engine, text

import storage
from services import KafkaBroker
from streams.codec import decode
from tests.integration.proxy_harness import Backend, ProxyProcess, Reply, get
from tests.integration.topics import read_topic
from tests.integration.worker_harness import Worker, gateway_env, rows, wait_for_rows

GRACE_S = 3.0
SETTLE_TIMEOUT_S = 120.0
BIG = 20_000  # bytes of the large bodies, past the proxy's --max-body-bytes
FIXED = {"Date": "Mon, 06 Jan 2025 09:00:00 GMT", "Server": "monolith/1.0"}
# Describe one connection, or the body's framing: a proxy rewrites them by design.
CONNECTION_HEADERS = {"transfer-encoding", "content-length", "connection", "keep-alive"}


async def primary_app(request: web.Request) -> web.StreamResponse:
    return await _answer(request, candidate=False)


async def candidate_app(request: web.Request) -> web.StreamResponse:
    return await _answer(request, candidate=True)


async def _answer(request: web.Request, *, candidate: bool) -> web.StreamResponse:
    """Both backends; the candidate differs for user 3 and for large body 2."""
    parts = request.path.strip("/").split("/")
    headers = dict(FIXED)
    if parts[0] == "users":
        name = "Ada L." if candidate and parts[1] == "3" else "Ada"
        response = web.json_response({"id": int(parts[1]), "name": name}, headers=headers)
        response.headers.add("Set-Cookie", "session=1; Path=/")
        response.headers.add("Set-Cookie", "theme=dark; Path=/")
        return response
    if parts[0] == "gzipped":
        body = gzip.compress(b'{"items": [1, 2, 3]}', mtime=0)  # the same bytes every time
        headers |= {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return web.Response(body=body, headers=headers)
    if parts[0] == "big":
        fill = b"y" if candidate and parts[1] == "2" else b"x"
        headers["Content-Type"] = "application/octet-stream"
        return web.Response(body=fill * BIG, headers=headers)
    if parts[0] == "chunked":
        stream = web.StreamResponse(headers=headers | {"Content-Type": "text/plain"})
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        for piece in (b"one ", b"two ", b"three"):
            await stream.write(piece)
        await stream.write_eof()
        return stream
    if parts[0] in ("orders", "search", "graphql"):
        body = await request.read()
        return web.json_response({"echo": body.decode()}, headers=headers)
    return web.Response(status=404, reason="Nowhere", text="no such thing", headers=headers)


def comparable(reply: Reply) -> tuple[int, str, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in reply.same_headers() if k not in CONNECTION_HEADERS]
    return reply.status, reply.reason, headers, reply.body


@pytest.fixture
def env(kafka_bootstrap: str, fresh_database: str, topic_prefix: str) -> dict[str, str]:
    return gateway_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S)


@pytest.fixture
def engine(env: dict[str, str]) -> Iterator[Engine]:
    engine = storage.connect(env["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()


@pytest.fixture
def backends() -> Iterator[tuple[Backend, Backend]]:
    primary, candidate = Backend(primary_app).start(), Backend(candidate_app).start()
    yield primary, candidate
    primary.close()
    candidate.close()


class Launch(Protocol):
    def __call__(self, *args: str) -> ProxyProcess: ...


@pytest.fixture
def launch(
    env: dict[str, str], backends: tuple[Backend, Backend], tmp_path: Path
) -> Iterator[Launch]:
    """Starts `shadowdiff proxy` in front of the backends, publishing to the test's topic."""
    primary, candidate = backends
    made: list[ProxyProcess] = []

    def start(*args: str) -> ProxyProcess:
        proxy = ProxyProcess(
            [
                *("--primary", primary.url, "--candidate", candidate.url),
                *("--bootstrap", env["KAFKA_BOOTSTRAP_SERVERS"], "--topic", env["EXCHANGES_TOPIC"]),
                *("--route", "GET /users/{id}", "--route", "/big/{n}"),
                *args,
            ],
            tmp_path / f"proxy-{len(made)}.log",
        )
        made.append(proxy)
        return proxy.start()

    yield start
    for proxy in made:
        proxy.kill()


def verdicts(engine: Engine) -> dict[str, tuple[str, str]]:
    """request ID → (endpoint, verdict) of every stored comparison."""
    with engine.connect() as connection:
        found = connection.execute(text("SELECT request_id, endpoint, verdict FROM comparisons"))
        return {str(rid): (str(endpoint), str(verdict)) for rid, endpoint, verdict in found}


def differences(engine: Engine, request_id: str) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT path, kind FROM differences WHERE request_id = :rid"), {"rid": request_id}
        )
        return {(str(path), str(kind)) for path, kind in found}


async def sides_on_topic(
    bootstrap: str, topic: str, wanted: set[str], timeout_s: float = 60.0
) -> dict[str, set[str]]:
    """The sides found on `topic` per request ID, read until every one of `wanted` has two.

    Reading until a count is not enough here: the producer's retries around a
    broker restart may have written some records twice.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    sides: dict[str, set[str]] = {}
    try:
        async with asyncio.timeout(timeout_s):
            while any(len(sides.get(request_id, ())) < 2 for request_id in wanted):
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    for record in batch:
                        exchange = decode(record.value)
                        sides.setdefault(exchange.request_id, set()).add(exchange.side)
    except TimeoutError:
        pass  # the caller's assertion names what is missing
    finally:
        await consumer.stop()
    return sides


def settle(engine: Engine, expected: int, worker: Worker) -> None:
    count = wait_for_rows(engine, expected, worker, SETTLE_TIMEOUT_S)
    assert count >= expected, f"{count} of {expected} verdicts\n{worker.tail()}"
    time.sleep(GRACE_S)  # a verdict past those expected would show by now
    assert rows(engine) == expected, verdicts(engine)


PUBLISHED = "shadowdiff_proxy_observations_published_total"
GRAPHQL_QUERY = b'{"query": "query getUser { user(id: 1) { name } }"}'
GRAPHQL_MUTATION = b'{"query": "mutation rename { rename(id: 1, name: \\"B\\") { name } }"}'


def test_clients_get_the_primary_and_both_sides_are_judged(
    env: dict[str, str],
    engine: Engine,
    worker: Worker,
    backends: tuple[Backend, Backend],
    launch: Launch,
) -> None:
    primary, candidate = backends
    proxy = launch(
        "--mirror-side-effects",
        "POST /search",
        "--max-body-bytes",
        str(BIG // 2),
    )
    worker.start()
    json_body = {"Content-Type": "application/json"}
    requests = {  # request ID → (method, path, body, expected endpoint or None: not mirrored)
        **{f"user-{n}": ("GET", f"/users/{n}", None, "GET /users/{id}") for n in range(1, 6)},
        "gzipped": ("GET", "/gzipped?page=2", None, "GET /gzipped"),
        "chunked": ("GET", "/chunked", None, "GET /chunked"),
        "missing": ("GET", "/nowhere/42", None, "GET /nowhere/{id}"),
        "big-1": ("GET", "/big/1", None, "GET /big/{n}"),
        "big-2": ("GET", "/big/2", None, "GET /big/{n}"),
        "search": ("POST", "/search", b'{"q": "ada"}', "POST /search"),
        "query": ("POST", "/graphql", GRAPHQL_QUERY, "query getUser"),
        "order": ("POST", "/orders", b'{"item": 1}', None),
        "mutation": ("POST", "/graphql", GRAPHQL_MUTATION, None),
    }
    for request_id, (method, path, body, _) in requests.items():
        headers = {"X-Request-ID": request_id, **(json_body if body else {})}
        direct = get(primary.port, path, method=method, body=body, headers=headers)
        proxied = get(proxy.port, path, method=method, body=body, headers=headers)
        assert comparable(proxied) == comparable(direct), request_id
    assert get(proxy.port, "/users/1").status == 200  # no X-Request-ID: the proxy makes one

    mirrored = {rid: e for rid, (_, _, _, e) in requests.items() if e is not None}
    settle(engine, len(mirrored) + 1, worker)
    stored = verdicts(engine)
    made_up = set(stored) - set(requests)
    assert len(made_up) == 1 and stored[made_up.pop()] == ("GET /users/{id}", "match")
    for request_id, endpoint in mirrored.items():
        planted = request_id in ("user-3", "big-2")
        assert stored[request_id] == (endpoint, "mismatch" if planted else "match"), request_id
    assert differences(engine, "user-3") == {("/name", "value_changed")}
    assert {kind for _, kind in differences(engine, "big-2")} == {"too_large"}
    assert "order" not in stored and "mutation" not in stored

    # The side effects never reached the candidate; the rest each once.
    assert candidate.requests == len(mirrored) + 1
    assert primary.requests == 2 * len(requests) + 1  # direct and proxied, and the one more
    assert proxy.metric("shadowdiff_proxy_mirrored_total") == len(mirrored) + 1
    assert proxy.metric("shadowdiff_proxy_not_mirrored_total") == 2
    sides = 2 * (len(mirrored) + 1)
    deadline = time.monotonic() + 60  # acknowledgements may reach the proxy after the worker
    while proxy.metric(PUBLISHED) < sides and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proxy.metric(PUBLISHED) == sides
    assert proxy.metric("shadowdiff_proxy_observations_dropped_total") == 0
    assert proxy.terminate() == 0, proxy.tail()


def test_a_stopped_or_hanging_candidate_never_reaches_the_client(
    env: dict[str, str],
    engine: Engine,
    worker: Worker,
    backends: tuple[Backend, Backend],
    launch: Launch,
) -> None:
    primary, candidate = backends
    candidate.stop()  # connections refused from now on
    refused = launch()
    for n in range(10):
        reply = get(refused.port, f"/users/{n}", headers={"X-Request-ID": f"refused-{n}"})
        assert comparable(reply) == comparable(get(primary.port, f"/users/{n}"))
    assert refused.terminate() == 0, refused.tail()

    # A candidate that hangs: clients answered while it holds every mirror call;
    # then the proxy dies with those calls in flight, so the candidate side never comes.
    candidate.start()
    candidate.hold()
    hanging = launch(
        "--mirror-timeout",
        "600",
    )
    for n in range(5):
        reply = get(hanging.port, f"/users/{n}", headers={"X-Request-ID": f"hung-{n}"})
        assert comparable(reply) == comparable(get(primary.port, f"/users/{n}"))
    # Every client answered while the mirror calls (sent concurrently, so the
    # last may still be on its way) hang at the candidate.
    deadline = time.monotonic() + 60
    while candidate.held < 5:
        assert time.monotonic() < deadline, hanging.tail()
        time.sleep(0.05)
    assert candidate.requests == 5
    while hanging.metric(PUBLISHED) < 5:
        assert time.monotonic() < deadline, hanging.tail()
        time.sleep(0.2)
    hanging.kill()
    candidate.release()

    worker.start()
    settle(engine, 15, worker)
    stored = verdicts(engine)
    assert {stored[f"refused-{n}"][1] for n in range(10)} == {"error_candidate"}
    assert {stored[f"hung-{n}"][1] for n in range(5)} == {"missing_candidate"}


def test_kafka_stopped_mid_run_drops_observations_never_requests(
    env: dict[str, str],
    kafka_broker: KafkaBroker,
    backends: tuple[Backend, Backend],
    launch: Launch,
) -> None:
    primary = backends[0]
    proxy = launch(
        "--queue-size",
        "20",
    )
    expected = comparable(get(primary.port, "/users/1"))
    failures = 0
    for n in range(20):
        failures += (
            comparable(get(proxy.port, "/users/1", headers={"X-Request-ID": f"before-{n}"}))
            != expected
        )
    try:
        kafka_broker.stop()
        for n in range(200):
            reply = get(proxy.port, "/users/1", headers={"X-Request-ID": f"down-{n}"})
            failures += comparable(reply) != expected
        # Past the queue they drop at once; what the producer holds, when it gives up.
        deadline = time.monotonic() + 60
        dropped = proxy.metric("shadowdiff_proxy_observations_dropped_total")
        while dropped == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
            dropped = proxy.metric("shadowdiff_proxy_observations_dropped_total")
    finally:
        kafka_broker.start()
    assert failures == 0
    assert dropped > 0, proxy.tail()

    # Publishing resumes by itself: once Kafka acknowledges again, requests sent
    # from then on reach the topic, both sides.
    published = proxy.metric(PUBLISHED)
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    rounds = 0
    while proxy.metric(PUBLISHED) <= published:
        assert time.monotonic() < deadline, proxy.tail()
        rounds += 1
        reply = get(proxy.port, "/users/1", headers={"X-Request-ID": f"probe-{rounds}"})
        failures += comparable(reply) != expected
        time.sleep(1.0)
    resumed = proxy.metric(PUBLISHED)
    for n in range(10):
        reply = get(proxy.port, "/users/1", headers={"X-Request-ID": f"after-{n}"})
        failures += comparable(reply) != expected
    while proxy.metric(PUBLISHED) < resumed + 20:
        assert time.monotonic() < deadline, proxy.tail()
        time.sleep(0.2)
    assert failures == 0
    wanted = {f"before-{n}" for n in range(20)} | {f"after-{n}" for n in range(10)}
    sides = asyncio.run(
        sides_on_topic(env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"], wanted)
    )
    for request_id in sorted(wanted):
        assert sides.get(request_id) == {"primary", "candidate"}, request_id
    print(f"\n[kafka down] dropped {dropped:.0f} observations; resumed within {rounds} probes")
    assert proxy.terminate() == 0, proxy.tail()


def test_sigterm_answers_the_request_in_flight_and_publishes_it(
    env: dict[str, str],
    backends: tuple[Backend, Backend],
    launch: Launch,
) -> None:
    primary = backends[0]
    proxy = launch()
    primary.hold()
    replies: list[Reply] = []
    client = threading.Thread(
        target=lambda: replies.append(
            get(proxy.port, "/users/7", headers={"X-Request-ID": "in-flight"})
        )
    )
    client.start()
    deadline = time.monotonic() + 30
    while primary.held < 1:
        assert time.monotonic() < deadline, proxy.tail()
        time.sleep(0.05)
    assert proxy.process is not None
    proxy.process.terminate()
    # The listener closes at once, while the request in flight stays.
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline, proxy.tail()
        try:
            get(proxy.port, "/metrics", timeout_s=5)
        except (ConnectionRefusedError, ConnectionResetError):  # reset: caught mid-close
            break
        time.sleep(0.05)
    assert client.is_alive() and not replies
    primary.release()
    client.join(30)
    assert proxy.process.wait(60) == 0, proxy.tail()
    assert [r.status for r in replies] == [200]
    assert replies[0].body == b'{"id": 7, "name": "Ada"}'
    records = asyncio.run(read_topic(env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"], 2))
    assert sorted(decode(r.value).side for r in records) == ["candidate", "primary"]
