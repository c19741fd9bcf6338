"""Small process and filesystem helpers shared by the Kafka and PostgreSQL services.

Everything here is synchronous and blocking: the services are started from test
fixtures and a command line, never from inside an event loop's hot path.
"""

from __future__ import annotations

import fcntl
import http.client
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

#: Every local service binds here only: nothing the tests start is reachable from outside.
HOST = "127.0.0.1"


class ServiceError(RuntimeError):
    """A local service could not be installed, started or stopped; the message says why."""


def repo_root() -> Path:
    """The checkout this package lives in (the cache folder sits beside the code)."""
    return Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    """Where downloads are kept: env `SHADOWDIFF_CACHE`, else `.cache/` at the repo root."""
    override = os.environ.get("SHADOWDIFF_CACHE")
    return Path(override).expanduser().resolve() if override else repo_root() / ".cache"


def once(home: Path, done: Path, make: Callable[[], None]) -> None:
    """Call `make` unless `done` exists, holding a lock file in `home` meanwhile.

    For downloads and builds into a cache several processes may share: the loser
    of the lock finds `done` and returns. `make` creates `done` last, so an
    interrupted run never looks complete.
    """
    if done.exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            make()


def free_port() -> int:
    """A TCP port on `HOST` that nothing listens on right now.

    The kernel picks it; there is a small window before the service binds it, which
    is acceptable for tests on one machine.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def answers_http(port: int, path: str = "/") -> bool:
    """True when an HTTP server on `HOST:port` answers a GET of `path` (any status)."""
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            connection.request("GET", path)
            connection.getresponse().read()
        finally:
            connection.close()
    except OSError:
        return False
    return True


def tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a text file, or a note that it does not exist."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def run(
    argv: Sequence[str],
    *,
    what: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> str:
    """Run `argv` to completion and return its stdout.

    Raises `ServiceError` naming `what` with the command's output when it fails, so a
    broken install or start explains itself instead of leaving a bare exit code.
    """
    try:
        done = subprocess.run(
            list(argv),
            env=env,
            cwd=cwd,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ServiceError(f"{what}: {argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ServiceError(f"{what}: `{' '.join(argv)}` took longer than {timeout}s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        raise ServiceError(
            f"{what} failed (exit {done.returncode}): `{' '.join(argv)}`\n{output[-4000:]}"
        )
    return done.stdout


def apt_install(packages: Sequence[str]) -> None:
    """Install Debian packages with apt-get (root only), refreshing the index first.

    A fresh machine may never have run `apt-get update`, so the index is always
    refreshed before installing; this runs only when something is missing.
    """
    if os.geteuid() != 0:
        raise ServiceError(
            f"missing {' '.join(packages)}: install them (apt-get install -y "
            f"{' '.join(packages)}) or run as root"
        )
    if shutil.which("apt-get") is None:
        raise ServiceError(f"missing {' '.join(packages)} and apt-get is not available")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-q"], what="apt-get update", env=env, timeout=900)
    run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        what=f"apt-get install {' '.join(packages)}",
        env=env,
        timeout=1800,
    )
