"""requirements.lock pins every dependency with hashes, and agrees with pyproject.toml.

A dependency added to pyproject.toml without `make lock` fails here, before a
fresh machine would install something the lock never named.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[3]


def locked() -> dict[str, tuple[Version, int]]:
    """Each locked package: its version and how many hashes it carries."""
    text = (REPO / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    found = {}
    for entry in entries:
        match = re.match(r"([A-Za-z0-9._-]+)==([^ \\;]+)", entry)
        if match:
            name = canonicalize_name(match.group(1))
            found[name] = (Version(match.group(2)), entry.count("--hash=sha256:"))
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    build = (REPO / "requirements.in").read_text().splitlines()
    lines += [line for line in build if line.strip() and not line.startswith("#")]
    return [Requirement(line) for line in lines]


def test_every_locked_package_has_one_version_and_hashes() -> None:
    lock = locked()
    assert len(lock) > 50
    unhashed = [name for name, (_, hashes) in lock.items() if hashes == 0]
    assert unhashed == []


def test_the_lock_satisfies_every_declared_requirement() -> None:
    lock = locked()
    missing, outside = [], []
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        if name not in lock:
            missing.append(name)
        elif not requirement.specifier.contains(lock[name][0], prereleases=True):
            outside.append(f"{name} {lock[name][0]} not {requirement.specifier}")
    assert missing == [] and outside == [], "run `make lock`"


def test_every_install_path_installs_from_the_lock() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--quiet" not in makefile  # the install shows what it does
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile
    assert "make test" in (REPO / ".ci" / "run").read_text()  # which builds from the Makefile
