"""`--noise include|exclude|only`: the noise filter every query command shares.

Noise is judged per problem over the command's window by a secondary's
baseline (`storage.noise_filter`), with the thresholds from the settings
(NOISE_RELATIVE_THRESHOLD, NOISE_ABSOLUTE_THRESHOLD).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, get_args

import click

from analysis.baseline import BaselineThresholds
from storage.noise_filter import NoiseFilter

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT: NoiseFilter = "include"


def noise_option(what: str) -> Callable[[F], F]:
    """Add --noise (parameter noise) to a command; `what` names what it filters."""
    return click.option(
        "--noise",
        type=click.Choice(get_args(NoiseFilter)),
        default=DEFAULT,
        show_default=True,
        help=f"{what} a secondary's baseline explains (Diffy's rule): counted with the rest, "
        "left out, or alone. Needs a gateway that sends a secondary; without one nothing "
        "is noise.",
    )


def settings_thresholds() -> BaselineThresholds:
    """The thresholds from the settings: passed uncalled, so a query reads the
    settings only when it finds a secondary."""
    from shadowdiff.settings import Settings

    return Settings().baseline_thresholds()
