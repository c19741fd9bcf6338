"""Records published by the Go client are judged by the worker like Python's.

The Go module (`clients/go`) is built and its `shadowdiff-publish` command sends
candidate sides (and, for some requests, both sides) while the Python publisher
sends the other primaries: a pair can only be judged if both clients encode the
same schema and pick the same partition for a request ID.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import storage
from streams.exchange import Exchange, Side
from tests.integration.worker_harness import Worker, gateway_env, publish, wait_for_rows
from tests.vectors.make_vectors import as_json

GO_MODULE = Path(__file__).parents[2] / "clients" / "go"
GRACE_S = 3.0


@pytest.fixture(scope="module")
def go_publisher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go client's publishing command, built once."""
    go = shutil.which("go")
    if go is None:
        message = "the Go toolchain is not installed (go not on PATH)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    binary = tmp_path_factory.mktemp("go") / "shadowdiff-publish"
    subprocess.run(
        [go, "build", "-o", str(binary), "./cmd/shadowdiff-publish"],
        cwd=GO_MODULE,
        check=True,
        timeout=600,
    )
    return binary


@pytest.fixture
def env(kafka_bootstrap: str, fresh_database: str, topic_prefix: str) -> dict[str, str]:
    return gateway_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S)


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()


def side(request_id: str, which: Side, name: str, at: datetime) -> Exchange:
    return Exchange(
        request_id=request_id,
        side=which,
        endpoint="GET /users/{id}",
        method="GET",
        path="/users/7",
        started_at=at,
        status=200,
        response_headers={"content-type": "application/json"},
        response_body=json.dumps({"id": 7, "name": name}).encode(),
        content_type="application/json",
        latency_ms=2.5,
    )


def test_go_published_sides_are_joined_and_judged(
    go_publisher: Path, env: dict[str, str], worker: Worker
) -> None:
    at = datetime.now(UTC).replace(microsecond=0)
    from_python, from_go = [], []
    for n in range(6):
        rid, when = f"go-{n}", at + timedelta(milliseconds=n)
        candidate_name = "Ada L." if n in (2, 5) else "Ada"  # the planted differences
        primary = side(rid, "primary", "Ada", when)
        (from_go if n >= 4 else from_python).append(primary)
        from_go.append(side(rid, "candidate", candidate_name, when))
    worker.start()
    asyncio.run(publish(env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"], from_python))
    lines = "".join(json.dumps(as_json(e)) + "\n" for e in from_go)
    brokers, topic = env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"]
    done = subprocess.run(
        [str(go_publisher), "-brokers", brokers, "-topic", topic],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"published {len(from_go)}, dropped 0"

    engine = storage.connect(env["DATABASE_URL"])
    try:
        assert wait_for_rows(engine, 6, worker, 120) == 6, worker.tail()
        verdicts, differences = stored(engine)
    finally:
        engine.dispose()
    expected = {f"go-{n}": "mismatch" if n in (2, 5) else "match" for n in range(6)}
    assert verdicts == expected
    assert differences == {
        ("go-2", "/name", "value_changed"),
        ("go-5", "/name", "value_changed"),
    }


def stored(engine: Engine) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    with engine.connect() as connection:
        verdicts = {
            str(rid): str(verdict)
            for rid, verdict in connection.execute(
                text("SELECT request_id, verdict FROM comparisons")
            )
        }
        differences = {
            (str(rid), str(path), str(kind))
            for rid, path, kind in connection.execute(
                text("SELECT request_id, path, kind FROM differences")
            )
        }
    return verdicts, differences
