"""A real single-node Apache Kafka broker (KRaft, combined mode) run from cached jars.

`KafkaBroker` writes a `server.properties` and a Log4j2 configuration into its data
directory, formats the storage with a random cluster id, starts `kafka.Kafka` in a
JVM and returns once a client's metadata request succeeds. `restart()` keeps the
ports and the data, so a test can bounce the broker under a running stream.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

from services import kafka_runtime
from services._process import HOST, ServiceError, free_port, run, tail
from services._service import LocalService

log = logging.getLogger(__name__)

_READY_MARK = "Kafka Server started"


class KafkaBroker(LocalService):
    """One Kafka broker on 127.0.0.1, owned by this process.

    `start()` returns once the broker answers a metadata request; `stop()` sends
    SIGTERM, then SIGKILL past `stop_timeout`. The data directory holds
    server.properties, log4j2.properties, the logs and the partition data.
    """

    what = "kafka broker"

    def __init__(
        self,
        *,
        version: str = kafka_runtime.KAFKA_VERSION,
        num_partitions: int = 4,
        data_dir: Path | None = None,
        cache: Path | None = None,
        startup_timeout: float = 120.0,
        stop_timeout: float = 30.0,
    ) -> None:
        if num_partitions < 1:
            raise ValueError(f"num_partitions must be at least 1, got {num_partitions}")
        super().__init__(data_dir)
        self.version = version
        self.num_partitions = num_partitions
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._cache = cache
        self._port: int | None = None
        self._controller_port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._formatted = False

    # -- what callers read -------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        """`127.0.0.1:PORT` of the PLAINTEXT listener (fixed once the broker first starts)."""
        if self._port is None:
            raise self.not_started()
        return f"{HOST}:{self._port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> KafkaBroker:
        """Start the broker (downloading the jars on first use) and wait until it serves."""
        if self.running:
            return self
        started = time.monotonic()
        lib = kafka_runtime.ensure_jars(self.version, cache=self._cache)
        self._ensure_data_dir("shadowdiff-kafka-")
        if self._port is None:
            self._port, self._controller_port = free_port(), free_port()
        self._write_config()
        if not self._formatted:
            self._format(lib)
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        stdout = (self.data_dir / "stdout.log").open("ab")
        try:
            self._proc = subprocess.Popen(
                [
                    "java",
                    "-Xms256m",
                    "-Xmx512m",
                    "-XX:+UseSerialGC",
                    *self._jvm_properties(),
                    "-cp",
                    f"{lib}/*",
                    "kafka.Kafka",
                    str(self.data_dir / "server.properties"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C meant for the parent must not kill the broker
                # before the parent stops it cleanly.
                start_new_session=True,
            )
        finally:
            stdout.close()
        self._stop_at_exit()
        self._wait_ready(log_offset, started)
        log.info(
            "kafka %s ready on %s in %.1fs",
            self.version,
            self.bootstrap,
            time.monotonic() - started,
        )
        return self

    def stop(self) -> None:
        """Stop the broker: SIGTERM (a controlled shutdown), SIGKILL past `stop_timeout`."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning(
                "kafka on %s ignored SIGTERM for %.0fs; killing it",
                self.bootstrap,
                self.stop_timeout,
            )
            proc.kill()
            proc.wait()
        log.info(
            "kafka %s on %s stopped in %.1fs",
            self.version,
            self.bootstrap,
            time.monotonic() - started,
        )

    def _forget(self) -> None:
        self._port = self._controller_port = None
        self._formatted = False

    # -- internals ----------------------------------------------------------------------

    def _jvm_properties(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.data_dir}",
            "-Djava.awt.headless=true",
        ]

    def _write_config(self) -> None:
        port, cport = self._port, self._controller_port
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{HOST}:{cport}",
            "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{cport}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.data_dir / "kraft"),
            # The defaults assume three brokers; with one, internal topics would never
            # become available.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # A consumer group's first join otherwise waits 3 s for more members.
            "group.initial.rebalance.delay.ms": "0",
            # The cleaner allocates this buffer up front (128 MiB by default); the broker
            # requires at least 1 MiB per cleaner thread.
            "log.cleaner.dedupe.buffer.size": str(4 * 1024 * 1024),
            "log.cleaner.threads": "1",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "num.recovery.threads.per.data.dir": "1",
            "background.threads": "2",
            "auto.create.topics.enable": "true",
            "num.partitions": str(self.num_partitions),
            "offsets.topic.num.partitions": "4",
            "delete.topic.enable": "true",
        }
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        (self.data_dir / "server.properties").write_text(text, encoding="utf-8")
        (self.data_dir / "log4j2.properties").write_text(_LOG4J2 % self.log_path, encoding="utf-8")

    def _format(self, lib: Path) -> None:
        cluster_id = "-"
        while cluster_id.startswith("-"):  # the formatter would read it as an option
            cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        run(
            [
                "java",
                "-Xmx256m",
                *self._jvm_properties(),
                "-cp",
                f"{lib}/*",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.data_dir / "server.properties"),
            ],
            what="formatting kafka storage",
            timeout=120,
        )
        self._formatted = True

    def _wait_ready(self, log_offset: int, started: float) -> None:
        deadline = started + self.startup_timeout
        proc = self._proc
        assert proc is not None
        while True:
            code = proc.poll()
            if code is not None:
                self._proc = None
                raise ServiceError(self._failure(f"the kafka broker exited with {code}"))
            if time.monotonic() > deadline:
                self.stop()
                raise ServiceError(
                    self._failure(
                        f"the kafka broker was not ready within {self.startup_timeout:.0f}s"
                    )
                )
            # The log line comes first so the client probe below does not log
            # connection errors while the JVM is still booting.
            if _log_contains(self.log_path, log_offset, _READY_MARK) and _answers(self.bootstrap):
                return
            time.sleep(0.2)

    def _failure(self, what: str) -> str:
        # The tail of a failed start is mostly shutdown noise; the cause is the first ERROR.
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            lines = []
        errors = "\n".join([line for line in lines if " ERROR " in line][:5]) or "(none)"
        return (
            f"{what} (data in {self.data_dir}).\n"
            f"--- first errors ---\n{errors}\n"
            f"--- {self.log_path} (tail) ---\n{tail(self.log_path)}\n"
            f"--- stdout/stderr (tail) ---\n{tail(self.data_dir / 'stdout.log', 20)}"
        )


def _log_contains(path: Path, offset: int, needle: str) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return needle.encode() in handle.read()
    except FileNotFoundError:
        return False


def _answers(bootstrap: str) -> bool:
    """True when the broker answers a metadata (list topics) request from a real client."""

    async def probe() -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        await admin.start()
        try:
            await admin.list_topics()
        finally:
            await admin.close()

    # A thread of its own, so this works even when the caller runs an event loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(asyncio.run, probe()).result(timeout=15)
        except Exception:
            return False
    return True


_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = %s
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%%d] %%p %%m (%%c)%%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
"""
