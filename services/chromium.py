"""Headless Chromium and its WebDriver, from Debian's `chromium` and `chromium-driver`.

The dashboard's browser tests drive a real Chromium through chromedriver.
Nothing is started here: the tests start the browser themselves.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from services._process import ServiceError, apt_install

log = logging.getLogger("services.chromium")

PACKAGES = ("chromium", "chromium-driver")


@dataclass(frozen=True, slots=True)
class Chromium:
    """Where the browser and its driver are."""

    browser: Path
    driver: Path


def find() -> Chromium | None:
    """The browser and chromedriver on PATH, if both are there."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        return None
    return Chromium(Path(browser), Path(driver))


def ensure_installed() -> Chromium:
    """Return the browser and driver, installing Debian's packages when either is missing."""
    found = find()
    if found is not None:
        return found
    log.info("installing %s from Debian's packages", " and ".join(PACKAGES))
    apt_install(list(PACKAGES))
    found = find()
    if found is None:
        raise ServiceError(f"installed {' '.join(PACKAGES)} but found no chromium/chromedriver")
    return found
