"""Name the known endpoints closest to one that matched nothing (a typo, mostly)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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
