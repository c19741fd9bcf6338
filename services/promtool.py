"""promtool, which checks and unit-tests Prometheus rules, from Debian's `prometheus` package.

The shipped alert rules (`deploy/prometheus/`) are tested with it. Debian's
package carries the Prometheus server too; only `promtool` is used, and nothing
is started.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from services._process import ServiceError, apt_install

log = logging.getLogger("services.promtool")

PACKAGE = "prometheus"


def find() -> Path | None:
    """promtool on PATH, if any."""
    found = shutil.which("promtool")
    return Path(found) if found else None


def ensure_installed() -> Path:
    """Return promtool's path, installing Debian's `prometheus` package when it is missing."""
    found = find()
    if found is not None:
        return found
    log.info("installing promtool from Debian's %s package", PACKAGE)
    apt_install([PACKAGE])
    found = find()
    if found is None:
        raise ServiceError(f"installed {PACKAGE} but found no promtool on PATH")
    return found
