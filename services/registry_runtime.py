"""A runnable Apicurio Registry, built once from Maven Central.

`registry-runtime/pom.xml` builds Apicurio Registry's application module into a
runner jar with Quarkus's Maven plugin (the pom says why that takes three
adjustments). The build runs in a copy of the pom under
`<cache>/apicurio-registry-<version>/build` with a private local repository
beside it; the runner jar and its `lib/` are moved to `.../app` once complete,
and a marker file makes later calls free (`services.maven`).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from services import maven
from services._process import ServiceError, cache_root

log = logging.getLogger(__name__)

REGISTRY_VERSION = "2.4.2.Final"
RUNNER = "registry-runtime-1-runner.jar"

_POM = Path(__file__).resolve().parent / "registry-runtime" / "pom.xml"


def runtime_dir(version: str = REGISTRY_VERSION, cache: Path | None = None) -> Path:
    """`<cache>/apicurio-registry-<version>`: `app/` (runnable), `build/`, `m2/`."""
    return (cache or cache_root()) / f"apicurio-registry-{version}"


def is_installed(version: str = REGISTRY_VERSION, cache: Path | None = None) -> bool:
    return maven.is_complete(runtime_dir(version, cache) / "app")


def ensure_runner(version: str = REGISTRY_VERSION, cache: Path | None = None) -> Path:
    """The registry's runner jar, built on first use (minutes: ~250 MB from Maven Central).

    Safe to call from several processes at once (a file lock serialises the
    build). Raises `ServiceError` with Maven's output when the build fails.
    """
    home = runtime_dir(version, cache)
    app = home / "app"
    maven.ensure(home, app, lambda: _build(home, app, version))
    return app / RUNNER


def _build(home: Path, app: Path, version: str) -> None:
    build = home / "build"
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(app, ignore_errors=True)
    build.mkdir()
    shutil.copy(_POM, build / "pom.xml")
    log.info("building apicurio registry %s from Maven Central in %s", version, build)
    started = time.monotonic()
    maven.mvn(
        build / "pom.xml",
        home,
        "package",
        {"apicurio.version": version},
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
    (staging / maven.MARKER).write_text(f"{version}\n", encoding="utf-8")
    staging.rename(app)
    shutil.rmtree(build, ignore_errors=True)
    log.info("apicurio registry %s built in %.1fs", version, time.monotonic() - started)
