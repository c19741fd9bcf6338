"""A real PostgreSQL server in a private cluster, from Debian's packages.

`initdb` and `postgres` refuse to run as root, so as root every server command
runs as the `postgres` user (`runuser`), and the cluster directory belongs to it.
The cluster listens on 127.0.0.1 and a socket in its own directory, on a free port,
with trust authentication: it exists only for tests and local runs.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import time
from pathlib import Path

from services._process import HOST, ServiceError, apt_install, free_port, run, tail
from services._service import LocalService

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "shadowdiff"
_OS_USER = "postgres"
_SUPERUSER = "postgres"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_bin_dir() -> Path | None:
    """The newest `/usr/lib/postgresql/<major>/bin` holding initdb and pg_ctl, if any."""
    candidates = []
    for found in glob.glob("/usr/lib/postgresql/*/bin"):
        path = Path(found)
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            major = path.parent.name
            candidates.append((int(major) if major.isdigit() else 0, path))
    return max(candidates)[1] if candidates else None


def ensure_installed() -> Path:
    """Return the server's bin directory, installing Debian's `postgresql` when missing."""
    found = find_bin_dir()
    if found is not None:
        return found
    log.info("installing postgresql from Debian packages")
    apt_install(["postgresql"])
    found = find_bin_dir()
    if found is None:
        raise ServiceError("installed postgresql but found no /usr/lib/postgresql/*/bin/initdb")
    return found


def libpq_url(url: str) -> str:
    """`url` without an SQLAlchemy driver suffix (`postgresql+psycopg://` → `postgresql://`)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` instead (the driver suffix is kept)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def create_database(url: str, name: str) -> str:
    """Create the empty database `name` on the server behind `url`; return its URL.

    `name` must be a plain lower-case identifier. Raises if it already exists.
    """
    import psycopg

    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    return with_database(url, name)


def drop_database(url: str, name: str) -> None:
    """Drop database `name` on the server behind `url`, disconnecting its sessions."""
    import psycopg

    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


class PostgresServer(LocalService):
    """One PostgreSQL server on 127.0.0.1, in a cluster directory of its own.

    `start()` returns once the server accepts connections and database `database`
    exists; `stop()` is a fast shutdown (sessions are disconnected).
    """

    what = "postgres server"

    def __init__(
        self,
        *,
        database: str = DEFAULT_DATABASE,
        data_dir: Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        super().__init__(data_dir)
        self.database = database
        self.startup_timeout = startup_timeout
        self._bin: Path | None = None
        self._port: int | None = None
        self._running = False
        self._version: str | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise self.not_started()
        return self._port

    @property
    def url(self) -> str:
        """`postgresql://postgres@127.0.0.1:PORT/<database>` (no password: trust auth)."""
        return f"postgresql://{_SUPERUSER}@{HOST}:{self.port}/{self.database}"

    @property
    def admin_url(self) -> str:
        """URL of the `postgres` maintenance database, for creating and dropping others."""
        return f"postgresql://{_SUPERUSER}@{HOST}:{self.port}/postgres"

    @property
    def version(self) -> str:
        """The server's `server_version` (e.g. "15.14 (Debian 15.14-0+deb12u1)")."""
        if self._version is None:
            raise self.not_started()
        return self._version

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> PostgresServer:
        """Create the cluster on first use, start the server and wait until it serves."""
        if self._running:
            return self
        began = time.monotonic()
        self._bin = ensure_installed()
        self._ensure_data_dir("shadowdiff-postgres-")
        if self._port is None:
            self._port = free_port()
        fresh = not (self.data_dir / "PG_VERSION").exists()
        if fresh:
            self._initdb()
        try:
            self._pg_ctl(
                "start", "-w", "-t", str(int(self.startup_timeout)), "-l", str(self.log_path)
            )
        except ServiceError as exc:
            raise ServiceError(
                f"{exc}\n--- {self.log_path} (tail) ---\n{tail(self.log_path)}"
            ) from exc
        self._running = True
        self._stop_at_exit()
        if fresh:
            create_database(self.admin_url, self.database)
        self._version = self._server_version()
        log.info(
            "postgres %s ready on %s:%d in %.1fs",
            self._version.split()[0],
            HOST,
            self.port,
            time.monotonic() - began,
        )
        return self

    def stop(self) -> None:
        """Fast shutdown: open sessions are disconnected, data is kept."""
        if not self._running:
            return
        began = time.monotonic()
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
        self._running = False
        log.info("postgres on %s:%d stopped in %.1fs", HOST, self.port, time.monotonic() - began)

    def _forget(self) -> None:
        self._port = None

    def create_database(self, name: str) -> str:
        """Create the empty database `name` on this server and return its URL."""
        return create_database(self.admin_url, name)

    # -- internals ----------------------------------------------------------------------

    def _as_owner(self, argv: list[str]) -> list[str]:
        # initdb and postgres refuse to run as root; as anyone else they run directly.
        return ["runuser", "-u", _OS_USER, "--", *argv] if os.geteuid() == 0 else argv

    def _initdb(self) -> None:
        assert self._bin is not None
        if os.geteuid() == 0:
            shutil.chown(self.data_dir, user=_OS_USER, group=_OS_USER)
        self.data_dir.chmod(0o700)
        run(
            self._as_owner(
                [
                    str(self._bin / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "-U",
                    _SUPERUSER,
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                ]
            ),
            what="initdb",
            timeout=300,
        )
        settings = {
            "port": str(self.port),
            "listen_addresses": f"'{HOST}'",
            "unix_socket_directories": f"'{self.data_dir}'",
            # A test cluster is thrown away after the run, so losing it in a power cut
            # costs nothing; skipping fsync makes commits and CREATE DATABASE much faster.
            # Restarts (stop -m fast) still shut down cleanly and keep every row.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# shadowdiff local test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _pg_ctl(self, *args: str) -> None:
        assert self._bin is not None
        run(
            self._as_owner([str(self._bin / "pg_ctl"), "-D", str(self.data_dir), *args]),
            what=f"pg_ctl {args[0]}",
            timeout=self.startup_timeout + 30,
        )

    def _server_version(self) -> str:
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        assert row is not None
        return str(row[0])
