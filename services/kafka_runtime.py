"""The Apache Kafka broker's runtime classpath, fetched once from Maven Central.

`kafka-runtime/pom.xml` names the broker artifact (`org.apache.kafka:kafka_2.13`)
and the Log4j2 binding its release tarball adds; Maven's `copy-dependencies`
gathers the whole runtime classpath into `<cache>/kafka-<version>/lib`. A marker
file written after a complete copy makes later calls free; the copy goes to a
temporary folder first and is renamed into place, so an interrupted download
never looks complete.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from services._process import ServiceError, apt_install, cache_root, once, run

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.2"
#: The Log4j2 release Kafka 4.1.2 builds against (its gradle/dependencies.gradle).
LOG4J_VERSION = "2.25.3"

_POM = Path(__file__).resolve().parent / "kafka-runtime" / "pom.xml"
_MARKER = ".complete"


def runtime_dir(version: str = KAFKA_VERSION, cache: Path | None = None) -> Path:
    """`<cache>/kafka-<version>`: holds `lib/` (the jars) and Maven's local repository."""
    return (cache or cache_root()) / f"kafka-{version}"


def is_installed(version: str = KAFKA_VERSION, cache: Path | None = None) -> bool:
    """True when the jars for `version` were copied completely before."""
    return (runtime_dir(version, cache) / "lib" / _MARKER).is_file()


def ensure_java() -> None:
    """Install a Java runtime and Maven from Debian's packages when either is missing."""
    if shutil.which("java") is None or shutil.which("mvn") is None:
        log.info("installing java and maven from Debian packages")
        apt_install(["openjdk-17-jre-headless", "maven"])


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

    def download() -> None:
        ensure_java()
        _download(home, lib, version, log4j_version)

    once(home, lib / _MARKER, download)
    return lib


def _download(home: Path, lib: Path, version: str, log4j_version: str) -> None:
    staging = home / "lib.partial"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(lib, ignore_errors=True)
    log.info("fetching kafka %s runtime from Maven Central into %s", version, lib)
    started = time.monotonic()
    run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(_POM),
            # A private local repository keeps a user's ~/.m2 settings and contents out
            # of the picture: what CI downloads is what a developer downloads.
            f"-Dmaven.repo.local={home / 'm2'}",
            f"-Dkafka.version={version}",
            f"-Dlog4j.version={log4j_version}",
            f"-Dlib.dir={staging}",
            "-Dstyle.color=never",
            "dependency:copy-dependencies",
        ],
        what=f"downloading kafka {version} with maven",
        timeout=1800,
    )
    jars = sorted(p.name for p in staging.glob("*.jar"))
    expected = f"kafka_2.13-{version}.jar"
    if expected not in jars or not any(j.startswith("log4j-slf4j-impl-") for j in jars):
        raise ServiceError(f"maven finished but {staging} lacks {expected} or the log4j binding")
    (staging / _MARKER).write_text("\n".join(jars) + "\n", encoding="utf-8")
    staging.rename(lib)
    log.info("kafka %s runtime: %d jars in %.1fs", version, len(jars), time.monotonic() - started)
