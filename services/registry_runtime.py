"""A runnable Apicurio Registry, built once from Maven Central.

`registry-runtime/pom.xml` builds Apicurio Registry's application module into a
runner jar with Quarkus's Maven plugin (the pom says why that takes three
adjustments). The build runs in a copy of the pom under
`<cache>/apicurio-registry-<version>/build` with a private local repository
beside it; the runner jar and its `lib/` are moved to `.../app` once complete,
and a marker file makes later calls free, so an interrupted build never looks
complete.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from services._process import ServiceError, cache_root, once, run
from services.kafka_runtime import ensure_java

log = logging.getLogger(__name__)

REGISTRY_VERSION = "2.4.2.Final"
RUNNER = "registry-runtime-1-runner.jar"

_POM = Path(__file__).resolve().parent / "registry-runtime" / "pom.xml"
_MARKER = ".complete"


def runtime_dir(version: str = REGISTRY_VERSION, cache: Path | None = None) -> Path:
    """`<cache>/apicurio-registry-<version>`: `app/` (runnable), `build/`, `m2/`."""
    return (cache or cache_root()) / f"apicurio-registry-{version}"


def is_installed(version: str = REGISTRY_VERSION, cache: Path | None = None) -> bool:
    return (runtime_dir(version, cache) / "app" / _MARKER).is_file()


def ensure_runner(version: str = REGISTRY_VERSION, cache: Path | None = None) -> Path:
    """The registry's runner jar, built on first use (minutes: ~250 MB from Maven Central).

    Safe to call from several processes at once (a file lock serialises the
    build). Raises `ServiceError` with Maven's output when the build fails.
    """
    home = runtime_dir(version, cache)
    app = home / "app"

    def build() -> None:
        ensure_java()
        _build(home, app, version)

    once(home, app / _MARKER, build)
    return app / RUNNER


def _build(home: Path, app: Path, version: str) -> None:
    build = home / "build"
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(app, ignore_errors=True)
    build.mkdir()
    shutil.copy(_POM, build / "pom.xml")
    log.info("building apicurio registry %s from Maven Central in %s", version, build)
    started = time.monotonic()
    run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(build / "pom.xml"),
            f"-Dmaven.repo.local={home / 'm2'}",
            f"-Dapicurio.version={version}",
            "-Dstyle.color=never",
            "package",
        ],
        what=f"building apicurio registry {version} with maven",
        timeout=3600,
    )
    target = build / "target"
    if not (target / RUNNER).is_file() or not (target / "lib").is_dir():
        raise ServiceError(f"maven finished but {target} lacks {RUNNER} or lib/")
    staging = home / "app.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    shutil.move(target / RUNNER, staging / RUNNER)
    shutil.move(target / "lib", staging / "lib")
    (staging / _MARKER).write_text(f"{version}\n", encoding="utf-8")
    staging.rename(app)
    shutil.rmtree(build, ignore_errors=True)
    log.info("apicurio registry %s built in %.1fs", version, time.monotonic() - started)
