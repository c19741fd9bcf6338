"""Serving the app from one process, or from several sharing one listening socket.

One Python process answers on one core at a time, whatever its threads do.
`serve` with `workers` > 1 binds the socket once, then forks that many
processes, each running its own uvicorn server (and event loop) on the
inherited socket; the kernel hands each new connection to one of them. The
app is built once, before the fork; each child drops the database
connections it inherited (`Engine.dispose(close=False)`, SQLAlchemy's rule
for forked processes) and opens its own. Each child keeps its own answer
cache, so a question is computed at most once per process per time to live.

The parent only waits: SIGINT or SIGTERM is passed to every child, and when
one child exits the others are stopped, so the service is whole or gone,
never half there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import traceback
from types import FrameType

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level="info", server_header=False)


def serve(app: FastAPI, engine: Engine, host: str, port: int, workers: int = 1) -> None:
    """Serve `app` on host:port from `workers` processes until stopped (SIGINT, SIGTERM)."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if workers == 1:
        uvicorn.Server(_config(app, host, port)).run()
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind((host, port))
    listening.listen(2048)
    listening.set_inheritable(True)
    children = [_fork(app, engine, host, port, listening) for _ in range(workers)]
    _supervise(children)


def _fork(app: FastAPI, engine: Engine, host: str, port: int, listening: socket.socket) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        engine.dispose(close=False)
        uvicorn.Server(_config(app, host, port)).run(sockets=[listening])
    except BaseException:
        code = 1
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _supervise(children: list[int]) -> None:
    """Wait for the children; forward a stop signal; stop all when one exits.

    Stopped by a signal, the parent ends by that signal once its children
    have, as a single uvicorn process does; otherwise with the first child's
    failure.
    """
    stopped_by: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopped_by.append(signum)
        for pid in children:
            _signal(pid, signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, forward)
    living = set(children)
    first_exit: int | None = None
    while living:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        living.discard(pid)
        if first_exit is None:
            first_exit = os.waitstatus_to_exitcode(status)
            for other in living:
                _signal(other, signal.SIGTERM)
    if stopped_by:
        signal.signal(stopped_by[0], signal.SIG_DFL)
        os.kill(os.getpid(), stopped_by[0])
    if first_exit:
        raise SystemExit(first_exit if first_exit > 0 else 128 - first_exit)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
