"""The paths a comparison differs at, folded as signatures fold them: Diffy's unit of noise.

A secondary's baseline is counted per endpoint and path: how often the
candidate differs from the primary there, and how often a second copy of the
primary does. Both counts must name a path the same way whatever the array
index, so a pointer's numeric segments fold to `[*]`, as in signatures.
"""

from __future__ import annotations

import re

from comparator.model import Comparison, Kind

_INDEX = re.compile(r"/\d+(?=/|$)")


def fold(path: str) -> str:
    """`path` with its array indices folded (`/items/3/price` -> `/items/[*]/price`).

    A JSON object key made of digits folds too: both sides fold it alike, so
    counts stay comparable.
    """
    return _INDEX.sub("/[*]", path) if path.startswith("/") else path


def differing_paths(comparison: Comparison) -> frozenset[str]:
    """The folded paths of `comparison`'s mismatching differences."""
    tolerated = Kind.NUMERIC_TOLERANCE
    return frozenset(fold(d.path) for d in comparison.differences if d.kind is not tolerated)
