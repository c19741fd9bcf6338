"""Java programs fetched once from Maven Central into the cache.

Each runtime (the Kafka broker's classpath, the schema registry's runner) is
made by Maven from a pom of ours, into a folder of the cache with a private
local repository beside it: what CI downloads is what a developer downloads,
whatever `~/.m2` holds. The result is staged first and renamed into place with
a marker file inside, so an interrupted download never looks complete, and a
file lock lets several processes ask at once (`services._process.once`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from services._process import apt_install, once, run

log = logging.getLogger(__name__)

MARKER = ".complete"
"""Written last into a finished runtime folder."""


def ensure_java() -> None:
    """Install a Java runtime and Maven from Debian's packages when either is missing."""
    if shutil.which("java") is None or shutil.which("mvn") is None:
        log.info("installing java and maven from Debian packages")
        apt_install(["openjdk-17-jre-headless", "maven"])


def is_complete(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def ensure(home: Path, folder: Path, make: Callable[[], None]) -> None:
    """Run `make` (which fills `folder` and writes its marker) unless `folder` is complete."""

    def with_java() -> None:
        ensure_java()
        make()

    once(home, folder / MARKER, with_java)


def mvn(
    pom: Path, home: Path, goal: str, properties: dict[str, str], *, what: str, timeout: int
) -> None:
    """Run one Maven goal on `pom`, its local repository under `home`."""
    run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            f"-Dmaven.repo.local={home / 'm2'}",
            *(f"-D{name}={value}" for name, value in properties.items()),
            "-Dstyle.color=never",
            goal,
        ],
        what=what,
        timeout=timeout,
    )
