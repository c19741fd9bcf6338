"""The worker's leader judges alerts as traffic is stored, on real Kafka and PostgreSQL.

Traffic with a spike injected at a known event time on one endpoint (the demo's
own sample) goes through a worker whose webhooks point at a local receiver in
the three formats. Exactly one spike alert is raised, for that endpoint, within
one window of the spike's start; each format hears of each of its states once;
a worker SIGKILLed after that and restarted raises nothing new and sends
nothing again. Meanwhile the leader compacts every span of latency, and a
series reads the same from them as from the minutes.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

import storage
from storage import compaction, models
from storage.alert_store import list_alerts
from storage.timeseries import timeseries
from streams.synthetic import DEFAULT_START
from tests.integration.worker_harness import Worker, publish, wait_for_rows, worker_env
from tests.samples import SPIKE, demo_traffic

GRACE_S = 10.0
WAIT_S = 240.0


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: list[tuple[str, dict[str, object] | list[object]]] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def taken(self, path: str) -> list[dict[str, object] | list[object]]:
        with self.lock:
            return [body for where, body in self.hits if where == path]


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.hits.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_spike_is_alerted_once_stored_published_and_delivered_once_across_a_kill(
    kafka_bootstrap: str,
    fresh_database: str,
    topic_prefix: str,
    tmp_path: Path,
    receiver: _Receiver,
) -> None:
    storage.upgrade(fresh_database)
    engine: Engine = storage.connect(fresh_database)
    hooks = " ".join(
        f"{fmt}={receiver.url('/' + fmt)}" for fmt in ("json", "slack", "alertmanager")
    )
    env = {
        **worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S),
        "ALERT_INTERVAL_S": "1",
        "COMPACTION_INTERVAL_S": "1",
        "ALERT_WEBHOOKS": hooks,
        "TMPDIR": str(tmp_path),
    }
    worker = Worker(env, tmp_path / "worker.log")
    traffic = demo_traffic()
    try:
        worker.start()
        asyncio.run(publish(kafka_bootstrap, env["EXCHANGES_TOPIC"], traffic.exchanges))
        # Everything but the last grace period's orphans is stored by then.
        wait_for_rows(engine, len(traffic.truth) - 50, worker, WAIT_S)
        spikes = _wait_for(lambda: _spikes(engine, resolved=True), worker)
        (spike,) = spikes
        assert spike.endpoint == SPIKE.endpoint
        began = DEFAULT_START + SPIKE.after
        assert began < spike.opened_at <= began + timedelta(minutes=5)
        others = [a for a in list_alerts(engine) if a.rule == "spike"]
        assert others == spikes  # none for the other endpoints

        # The leader has been compacting latency meanwhile; long series read it.
        _wait_for(lambda: _compacted(engine), worker)
        _reads_like_the_minutes(engine)

        deliveries = _wait_for(lambda: _deliveries(receiver, spike.id), worker)
        # Each state the evaluations saw (firing, then resolved; or resolved alone
        # when the stream outran them), once per format; Alertmanager at least once.
        states = [_state(body) for body in receiver.taken("/json") if _about(body, spike.id)]
        assert states[-1] == "resolved" and len(states) == len(set(states))
        assert deliveries["slack"] == len(states) and deliveries["alertmanager"] >= 1

        # A restart must add nothing to what was judged: so first let the worker judge
        # it all (the last minutes' orphans are stored a grace period late).
        wait_for_rows(engine, len(traffic.truth), worker, WAIT_S)
        stored_before = _wait_for(lambda: _settled(engine), worker)
        # All was well so far, so no ERROR line (not even a starting broker's retries).
        assert "[ERROR]" not in worker.log.read_text(errors="replace"), worker.tail()
        worker.kill()
        worker.start()
        time.sleep(15)  # a dozen evaluations, after the restart's rebalance
        assert worker.alive, worker.tail()
        assert {a.id: a.state for a in list_alerts(engine)} == stored_before
        assert _deliveries(receiver, spike.id) == deliveries
    finally:
        worker.stop()
        engine.dispose()


def _spikes(engine: Engine, *, resolved: bool) -> list[storage.alert_store.StoredAlert] | None:
    found = [a for a in list_alerts(engine) if a.rule == "spike"]
    if not found or (resolved and any(a.state != "resolved" for a in found)):
        return None
    return found


def _settled(engine: Engine, quiet_s: float = 5.0) -> dict[str, str] | None:
    """The alerts and their states, once unchanged over `quiet_s` (judged every second)."""
    before = {a.id: a.state for a in list_alerts(engine)}
    time.sleep(quiet_s)
    return before if before and {a.id: a.state for a in list_alerts(engine)} == before else None


def _compacted(engine: Engine) -> bool:
    """True once every span of the stored minutes is compacted as they now add up."""
    em, ls = models.endpoint_minutes, models.latency_spans
    with engine.connect() as connection:
        sums: dict[tuple[str, int], int] = {}
        for endpoint, minute, total in connection.execute(
            sa.select(em.c.endpoint, em.c.minute, em.c.total)
        ):
            key = (endpoint, compaction.span_of(minute))
            sums[key] = sums.get(key, 0) + total
        spans = connection.execute(sa.select(ls.c.endpoint, ls.c.span, ls.c.total))
        return bool(sums) and {(e, s): t for e, s, t in spans} == sums


def _reads_like_the_minutes(engine: Engine) -> None:
    window = {"since": DEFAULT_START, "until": DEFAULT_START + timedelta(hours=2), "step": "15m"}
    from_spans = timeseries(engine, **window).to_json()  # type: ignore[arg-type]
    with engine.begin() as connection:
        connection.execute(sa.delete(models.latency_spans))
    assert timeseries(engine, **window).to_json() == from_spans  # type: ignore[arg-type]


def _about(body: object, alert_id: str) -> bool:
    return alert_id in json.dumps(body)


def _state(body: object) -> object:
    """The state in a shadowdiff JSON delivery (`alerting.formats.generic`)."""
    return body["alert"]["state"] if isinstance(body, dict) else None  # type: ignore[index]


def _deliveries(receiver: _Receiver, alert_id: str) -> dict[str, int] | None:
    """Deliveries about the alert per format, once its resolution reached every one."""
    counts = {
        fmt: sum(_about(body, alert_id) for body in receiver.taken("/" + fmt))
        for fmt in ("json", "slack", "alertmanager")
    }
    resolved = any(
        _about(body, alert_id) and _state(body) == "resolved" for body in receiver.taken("/json")
    )
    return counts if resolved and min(counts.values()) >= 1 else None


T = TypeVar("T")


def _wait_for(probe: Callable[[], T | None], worker: Worker) -> T:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        assert worker.alive, worker.tail()
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"nothing after {WAIT_S:.0f}s\n{worker.tail()}")
