"""`python -m services`: install or run the real Kafka, PostgreSQL and schema registry
the tests use.

python -m services install   # Kafka jars, the registry (Maven Central); postgresql, promtool,
                             # chromium (apt)
python -m services up        # start them; print `export ...` lines; Ctrl-C stops them
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

from services import chromium, kafka_runtime, postgres, promtool, registry_runtime
from services._process import ServiceError
from services.kafka import KafkaBroker
from services.postgres import PostgresServer
from services.registry import SchemaRegistry

T = TypeVar("T")


def _install(args: argparse.Namespace) -> int:
    began = time.monotonic()
    had_jars = kafka_runtime.is_installed(args.kafka_version)
    lib = kafka_runtime.ensure_jars(args.kafka_version)
    jars = len(list(lib.glob("*.jar")))
    state = "already cached" if had_jars else "downloaded"
    print(f"kafka {args.kafka_version}: {jars} jars {state} in {lib}")
    _from_debian("postgresql", postgres.find_bin_dir, postgres.ensure_installed)
    _from_debian("promtool", promtool.find, promtool.ensure_installed)
    _from_debian("chromium", chromium.find, chromium.ensure_installed)
    had_registry = registry_runtime.is_installed()
    runner = registry_runtime.ensure_runner()
    state = "already built" if had_registry else "built from Maven Central"
    print(f"apicurio registry {registry_runtime.REGISTRY_VERSION}: {state} ({runner})")
    print(f"done in {time.monotonic() - began:.1f}s")
    return 0


def _from_debian(name: str, find: Callable[[], object], ensure: Callable[[], T]) -> T:
    """Install `name` from Debian's packages where `find` finds nothing; say which it was."""
    had = find()
    found = ensure()
    state = "already installed" if had else "installed from Debian packages"
    print(f"{name}: {state} ({found})")
    return found


def _up(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    broker = KafkaBroker(version=args.kafka_version, num_partitions=args.partitions)
    server = PostgresServer(database=args.database)
    registry = SchemaRegistry()
    try:
        broker.start()
        server.start()
        registry.start()
        print(f"export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap}")
        print(f"export DATABASE_URL={server.url}")
        print(f"export SCHEMA_REGISTRY_URL={registry.url}")
        sys.stdout.flush()
        print("# running; Ctrl-C stops them", file=sys.stderr)
        while not stop.wait(1.0):
            if not broker.running:
                print("kafka exited unexpectedly; see " + str(broker.log_path), file=sys.stderr)
                return 1
    finally:
        registry.close()
        server.close()
        broker.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services",
        description=(
            "Real Apache Kafka (jars from Maven Central, run on the local JVM) and "
            "PostgreSQL (Debian's packages, a private cluster) for tests and local runs. "
            "Downloads are cached in .cache/ (or $SHADOWDIFF_CACHE)."
        ),
    )
    parser.add_argument(
        "--kafka-version",
        default=kafka_runtime.KAFKA_VERSION,
        help="Apache Kafka release (default %(default)s)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "install",
        help="download the Kafka jars, build the registry, install postgresql, promtool and "
        "chromium if missing",
        description="Download the Kafka broker's jars and build Apicurio Registry once "
        "(both from Maven Central), and apt-get install postgresql when its server "
        "binaries are missing, prometheus when promtool is (it checks the shipped alert "
        "rules) and chromium with chromium-driver when either is missing (the dashboard's "
        "browser tests drive it). Prints what it did.",
    ).set_defaults(func=_install)
    up = sub.add_parser(
        "up",
        help="start Kafka, PostgreSQL and a schema registry until Ctrl-C",
        description="Start a single-node Kafka broker, a PostgreSQL server and an "
        "Apicurio Registry on free ports of 127.0.0.1, print `export` lines for your shell "
        "(eval them), and run until Ctrl-C or SIGTERM, then stop them and delete their data.",
    )
    up.add_argument(
        "--partitions",
        type=int,
        default=4,
        help="partitions of auto-created topics (default %(default)s)",
    )
    up.add_argument(
        "--database",
        default=postgres.DEFAULT_DATABASE,
        help="database to create (default %(default)s)",
    )
    up.set_defaults(func=_up)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        code: int = args.func(args)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
