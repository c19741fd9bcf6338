"""Name the known endpoints closest to one that matched nothing (a typo, mostly)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import click
from sqlalchemy import Engine


def closest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` of `known` that look most like `name`, closest first."""
    return difflib.get_close_matches(name, sorted(set(known)), n=n, cutoff=0.5)


def hint(name: str, known: Iterable[str]) -> str:
    """One line for a person: the closest known names, or all of them when none is close."""
    everything = sorted(set(known))
    if not everything:
        return "none is known"
    near = closest(name, everything)
    if near:
        return "closest known: " + ", ".join(repr(e) for e in near)
    shown = ", ".join(repr(e) for e in everything[:10])
    more = f" and {len(everything) - 10} more" if len(everything) > 10 else ""
    return f"known: {shown}{more}"


def note_unknown_endpoint(engine: Engine, run_id: str, endpoint: str | None) -> None:
    """Say, when `endpoint` has no traffic at all in the run, which known ones look like it.

    Called by a query that found nothing for `--endpoint`: an empty answer for a
    real endpoint is an answer, one for a typo deserves a pointer.
    """
    from storage.queries import known_endpoints  # the store only on this path

    if endpoint is None:
        return
    known = known_endpoints(engine, run_id)
    if endpoint not in known:
        click.echo(f"endpoint {endpoint!r}: {hint(endpoint, known)}", err=True)
