"""A real schema registry: Apicurio Registry with in-memory storage, on the local JVM.

`SchemaRegistry` runs the runner jar `registry_runtime` builds and returns from
`start()` once the Confluent-compatible API answers. `url` is that API's base
(``http://127.0.0.1:PORT/apis/ccompat/v7``), what a Confluent client or
`SCHEMA_REGISTRY_URL` takes. Schemas live in memory: a restart forgets them.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from services import registry_runtime
from services._process import HOST, ServiceError, free_port, tail
from services._service import LocalService

log = logging.getLogger(__name__)

CCOMPAT_PATH = "/apis/ccompat/v7"


class SchemaRegistry(LocalService):
    """One Apicurio Registry on 127.0.0.1, owned by this process."""

    what = "schema registry"

    def __init__(
        self,
        *,
        version: str = registry_runtime.REGISTRY_VERSION,
        data_dir: Path | None = None,
        cache: Path | None = None,
        startup_timeout: float = 120.0,
        stop_timeout: float = 30.0,
    ) -> None:
        super().__init__(data_dir)
        self.version = version
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._cache = cache
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the Confluent-compatible API."""
        if self._port is None:
            raise self.not_started()
        return f"http://{HOST}:{self._port}{CCOMPAT_PATH}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> SchemaRegistry:
        """Start the registry (building it on first use) and wait until its API answers."""
        if self.running:
            return self
        started = time.monotonic()
        runner = registry_runtime.ensure_runner(self.version, cache=self._cache)
        self._ensure_data_dir("shadowdiff-registry-")
        if self._port is None:
            self._port = free_port()
        with self.log_path.open("ab") as out:
            self._proc = subprocess.Popen(
                [
                    "java",
                    "-Xms64m",
                    "-Xmx384m",
                    "-XX:+UseSerialGC",
                    f"-Dquarkus.http.port={self._port}",
                    f"-Dquarkus.http.host={HOST}",
                    "-jar",
                    str(runner),
                ],
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._stop_at_exit()
        self._wait_ready(started)
        log.info("schema registry ready at %s in %.1fs", self.url, time.monotonic() - started)
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _forget(self) -> None:
        self._port = None

    def _wait_ready(self, started: float) -> None:
        proc = self._proc
        assert proc is not None
        while not _answers(f"{self.url}/subjects"):
            code = proc.poll()
            if code is not None:
                self._proc = None
                raise ServiceError(self._failure(f"the schema registry exited with {code}"))
            if time.monotonic() - started > self.startup_timeout:
                self.stop()
                raise ServiceError(
                    self._failure(f"the schema registry was not ready in {self.startup_timeout}s")
                )
            time.sleep(0.3)

    def _failure(self, what: str) -> str:
        return f"{what} (data in {self.data_dir}).\n--- {self.log_path} ---\n{tail(self.log_path)}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
