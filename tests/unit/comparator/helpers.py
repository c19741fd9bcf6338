"""Shared helpers for the comparator tests."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from comparator import Comparison, Difference, Kind, Observation


def obs(body: Any = b"", status: int | None = 200, **kwargs: Any) -> Observation:
    """An observation; a non-bytes `body` is encoded as JSON."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Observation(status, raw, **kwargs)


def kinds(comparison: Comparison) -> set[tuple[str, Kind]]:
    return {(d.path, d.kind) for d in comparison.differences}


def json_equal(a: Any, b: Any) -> bool:
    """JSON's equality: numbers by value, booleans apart from numbers, member order aside."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _order(path: str) -> list[tuple[int, int | str]]:
    return [(0, int(t)) if t.isdigit() else (1, t) for t in path.split("/")[1:]]


def to_patch(differences: tuple[Difference, ...]) -> list[dict[str, Any]]:
    """An RFC 6902 patch that turns the primary into the candidate.

    Replacements first; then removals, deepest and highest index first (so an
    array's tail is cut from its end); then additions in ascending order.
    """
    replace, remove, add = [], [], []
    for d in differences:
        if d.kind in (Kind.VALUE_CHANGED, Kind.TYPE_CHANGED, Kind.ARRAY_ORDER):
            replace.append({"op": "replace", "path": d.path, "value": d.candidate})
        elif d.kind is Kind.FIELD_MISSING:
            remove.append({"op": "remove", "path": d.path})
        elif d.kind is Kind.FIELD_ADDED:
            add.append({"op": "add", "path": d.path, "value": d.candidate})
        elif d.kind is not Kind.ARRAY_LENGTH:
            raise AssertionError(f"no patch operation for {d.kind}")
    remove.sort(key=lambda op: _order(op["path"]), reverse=True)
    add.sort(key=lambda op: _order(op["path"]))
    return replace + remove + add


# Small alphabets, so that two random documents often share structure.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, 1.0, 2.0, -0.0])
    | st.text(alphabet="ab~/\u00e9", max_size=3)
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet="ab/~", max_size=2), inner, max_size=4)
    ),
    max_leaves=20,
)
EXAMPLES = settings(max_examples=500, deadline=None)


def disguised(doc: Any, rnd: random.Random, swapped: list[bool]) -> Any:
    """`doc` with members reversed, integral numbers re-spelled, and (at random)
    booleans replaced by the number `==` to them, noting each replacement."""
    if isinstance(doc, dict):
        return {k: disguised(doc[k], rnd, swapped) for k in reversed(list(doc))}
    if isinstance(doc, list):
        return [disguised(v, rnd, swapped) for v in doc]
    if isinstance(doc, bool):
        if rnd.random() < 0.2:
            swapped.append(True)
            return rnd.choice([int, float])(doc)
        return doc
    if isinstance(doc, int | float) and doc == int(doc) and abs(doc) < 2**53:
        return rnd.choice([int, float])(doc)
    return doc
