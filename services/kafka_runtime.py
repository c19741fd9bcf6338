"""The Apache Kafka broker's runtime classpath, fetched once from Maven Central.

`kafka-runtime/pom.xml` names the broker artifact (`org.apache.kafka:kafka_2.13`)
and the Log4j2 binding its release tarball adds; Maven's `copy-dependencies`
gathers the whole runtime classpath into `<cache>/kafka-<version>/lib`. A marker
file written after a complete copy makes later calls free (`services.maven`).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from services import maven
from services._process import ServiceError, cache_root

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.2"
#: The Log4j2 release Kafka 4.1.2 builds against (its gradle/dependencies.gradle).
LOG4J_VERSION = "2.25.3"

_POM = Path(__file__).resolve().parent / "kafka-runtime" / "pom.xml"


def runtime_dir(version: str = KAFKA_VERSION, cache: Path | None = None) -> Path:
    """`<cache>/kafka-<version>`: holds `lib/` (the jars) and Maven's local repository."""
    return (cache or cache_root()) / f"kafka-{version}"


def is_installed(version: str = KAFKA_VERSION, cache: Path | None = None) -> bool:
    """True when the jars for `version` were copied completely before."""
    return maven.is_complete(runtime_dir(version, cache) / "lib")


def ensure_jars(
    version: str = KAFKA_VERSION,
    log4j_version: str = LOG4J_VERSION,
    cache: Path | None = None,
) -> Path:
    """Return the folder holding the broker's jars, downloading them on first use.

    Safe to call from several processes at once: a file lock serialises the download
    and the loser finds the marker. Raises `ServiceError` with Maven's output when the
    download fails.
    """
    home = runtime_dir(version, cache)
    lib = home / "lib"
    maven.ensure(home, lib, lambda: _download(home, lib, version, log4j_version))
    return lib


def _download(home: Path, lib: Path, version: str, log4j_version: str) -> None:
    staging = home / "lib.partial"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(lib, ignore_errors=True)
    log.info("fetching kafka %s runtime from Maven Central into %s", version, lib)
    started = time.monotonic()
    maven.mvn(
        _POM,
        home,
        "dependency:copy-dependencies",
        {"kafka.version": version, "log4j.version": log4j_version, "lib.dir": str(staging)},
        what=f"downloading kafka {version} with maven",
        timeout=1800,
    )
    jars = sorted(p.name for p in staging.glob("*.jar"))
    expected = f"kafka_2.13-{version}.jar"
    if expected not in jars or not any(j.startswith("log4j-slf4j-impl-") for j in jars):
        raise ServiceError(f"maven finished but {staging} lacks {expected} or the log4j binding")
    (staging / maven.MARKER).write_text("\n".join(jars) + "\n", encoding="utf-8")
    staging.rename(lib)
    log.info("kafka %s runtime: %d jars in %.1fs", version, len(jars), time.monotonic() - started)
