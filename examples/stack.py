"""The whole story on this machine: `python -m examples.stack` (what `make stack` runs).

Starts the project's own Kafka broker and PostgreSQL server (as the tests do),
the Python monolith, its Go rewrite (built with the Go toolchain), a shadowdiff
worker and `shadowdiff proxy` in front of the two backends; sends traffic
through the proxy; waits until every mirrored request is judged; prints the
mismatch report; stops everything. Sizes: `--requests`, `--rate`.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import text

import storage
from examples import traffic
from services import KafkaBroker, PostgresServer
from services._process import answers_http, free_port
from streams.topics import ensure_topics

HERE = Path(__file__).parent
TOPIC = "shadowdiff.exchanges"


def wait(what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def mirrored(proxy_port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=10)
    connection.request("GET", "/metrics")
    body = connection.getresponse().read().decode()
    connection.close()
    for line in body.splitlines():
        if line.startswith('shadowdiff_proxy_mirrored_total{side="candidate"}'):
            return int(float(line.rpartition(" ")[2]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args(argv)
    go = shutil.which("go")
    if go is None:
        raise SystemExit("the Go toolchain is needed to build the rewrite: install Go 1.24+")
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="shadowdiff-stack-") as tmp:
        logs = Path(tmp)
        print("starting Kafka and PostgreSQL", flush=True)
        broker = KafkaBroker()
        stack.callback(broker.close)
        bootstrap = broker.start().bootstrap
        database = PostgresServer()
        stack.callback(database.close)
        url = database.start().url
        storage.upgrade(url)
        asyncio.run(ensure_topics([bootstrap], {TOPIC: 4}))
        rewrite = logs / "rewrite"
        subprocess.run([go, "build", "-o", str(rewrite), "."], cwd=HERE / "rewrite", check=True)

        def start(name: str, argv: list[str], **env: str) -> subprocess.Popen[bytes]:
            log = logs / f"{name}.log"
            with log.open("ab") as out:
                process = subprocess.Popen(
                    argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
                )
            stack.callback(stop, process)
            return process

        monolith_port, rewrite_port, proxy_port = free_port(), free_port(), free_port()
        print("starting the monolith, the rewrite, the worker and the proxy", flush=True)
        monolith = start(
            "monolith", [sys.executable, "-m", "examples.monolith", str(monolith_port)]
        )
        rewritten = start("rewrite", [str(rewrite), str(rewrite_port)])
        start(
            "worker",
            [sys.executable, "-m", "shadowdiff", "worker", "--loglevel", "warning"],
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            DATABASE_URL=url,
            GRACE_PERIOD_S="5",
            TICK_INTERVAL_S="1",
        )
        proxy = start(
            "proxy",
            [
                *(sys.executable, "-m", "shadowdiff", "proxy"),
                *("--listen", f"127.0.0.1:{proxy_port}", "--routes", str(HERE / "routes.txt")),
                *("--primary", f"http://127.0.0.1:{monolith_port}"),
                *("--candidate", f"http://127.0.0.1:{rewrite_port}"),
                *("--bootstrap", bootstrap, "--topic", TOPIC),
            ],
        )
        wait(
            "the monolith",
            lambda: answers_http(monolith_port, "/users/1"),
            monolith,
            logs / "monolith.log",
        )
        wait(
            "the rewrite",
            lambda: answers_http(rewrite_port, "/users/1"),
            rewritten,
            logs / "rewrite.log",
        )
        wait("the proxy", lambda: answers_http(proxy_port, "/metrics"), proxy, logs / "proxy.log")

        print(
            f"sending {args.requests} requests through the proxy at {args.rate:.0f}/s", flush=True
        )
        target = f"http://127.0.0.1:{proxy_port}"
        failed = traffic.main(
            ["--target", target, "--requests", str(args.requests), "--rate", str(args.rate)]
        )
        expected = mirrored(proxy_port)
        engine = storage.connect(url)
        deadline = time.monotonic() + 180
        judged = 0
        while judged < expected and time.monotonic() < deadline:
            time.sleep(1)
            with engine.connect() as connection:
                judged = connection.execute(text("SELECT count(*) FROM comparisons")).scalar_one()
        engine.dispose()
        print(f"{judged} of {expected} mirrored requests judged\n", flush=True)
        subprocess.run([sys.executable, "-m", "shadowdiff", "mismatches", "--db", url], check=False)
        return 1 if failed or judged < expected else 0


if __name__ == "__main__":
    sys.exit(main())
