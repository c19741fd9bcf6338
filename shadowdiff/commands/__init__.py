"""Sub-commands of `shadowdiff`, one module each.

Every module here exposes its click command as `command`; `COMMANDS` gathers
them, so adding a sub-command is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


def _discover() -> list[click.Command]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(module.command)
    return found


COMMANDS: list[click.Command] = _discover()
