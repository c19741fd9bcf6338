"""`shadowdiff serve --workers N`: N processes answer on one port, and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import storage

TOKEN = "workers-token-0123456789abcdef"
WAIT_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> set[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in found}


def _get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    storage.upgrade(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--db", url, "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        [sys.executable, "-m", "shadowdiff", *args],
        env={**os.environ, "SHADOWDIFF_API_TOKENS": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            assert server.poll() is None, "serve exited while starting"
            try:
                if _get(base + "/healthz") == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve never answered"
                time.sleep(0.1)
        workers = _children(server.pid)
        assert len(workers) == 2
        for _ in range(10):
            assert _get(base + "/api/v1/runs", TOKEN) == 200
            assert _get(base + "/api/v1/runs", TOKEN[:-1]) == 401
        server.send_signal(signal.SIGTERM)
        # Ended by the signal once the workers have, as a single uvicorn process is.
        assert server.wait(timeout=WAIT_S) in (0, -signal.SIGTERM)
        assert all(_gone(pid) for pid in workers)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
