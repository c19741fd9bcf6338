"""Locations inside a JSON document: RFC 6901 pointers and folded templates.

The walk records where it is as a chain of `(parent, segment)` pairs instead of
a tuple or a string, so descending one level costs O(1) however deep the
document is; a pointer is only spelled out when a difference is reported. A
segment is a `str` for an object member and an `int` for an array index, which
is what lets a template fold indices (and only indices) to `[*]`.
"""

from __future__ import annotations

from typing import TypeAlias

Segment: TypeAlias = str | int
Node: TypeAlias = "tuple[Node | None, Segment] | None"
"""A location: None is the document root, otherwise (parent, segment)."""

INDEX_TEMPLATE = "[*]"


def child(node: Node, segment: Segment) -> Node:
    """The location of `segment` under `node`."""
    return (node, segment)


def segments(node: Node) -> list[Segment]:
    """The segments from the root down to `node`."""
    out: list[Segment] = []
    while node is not None:
        node, segment = node
        out.append(segment)
    out.reverse()
    return out


def escape(segment: Segment) -> str:
    """One reference token, escaped as RFC 6901 requires (`~` first, then `/`)."""
    text = str(segment)
    if "~" in text or "/" in text:
        text = text.replace("~", "~0").replace("/", "~1")
    return text


def unescape(token: str) -> str:
    """The inverse of `escape` (`~1` first, then `~0`, as RFC 6901 requires)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(node: Node) -> str:
    """The RFC 6901 JSON Pointer of `node` (`""` for the root)."""
    return "".join("/" + escape(s) for s in segments(node))


def template(node: Node) -> str:
    """The pointer of `node` with every array index folded to `[*]`."""
    return "".join(
        "/" + (INDEX_TEMPLATE if isinstance(s, int) else escape(s)) for s in segments(node)
    )
