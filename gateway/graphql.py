"""Which GraphQL operation a request runs: its type and name, without a GraphQL parser.

Only the top level of a document matters here (operation definitions and
fragments), so a small scanner that skips strings, block strings and comments and
tracks brace depth is enough: a field named `mutation` inside a selection set is
never mistaken for an operation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

OperationType = Literal["query", "mutation", "subscription"]
"""GraphQL's three operation types; `mutation` is the one with side effects."""

_TOKEN = re.compile(
    r'"""(?:\\"""|[^"]|"(?!""))*"""'  # block string
    r'|"(?:\\.|[^"\\\n])*"'  # string
    r"|#[^\n]*"  # comment
    r"|[{}]"
    r"|[_A-Za-z][_0-9A-Za-z]*"
)
_TYPES: frozenset[str] = frozenset({"query", "mutation", "subscription"})


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a GraphQL document; `name` is empty for an anonymous one."""

    type: OperationType
    name: str

    @property
    def endpoint(self) -> str:
        """The endpoint name results are grouped by, e.g. ``query getUserProfile``."""
        return f"{self.type} {self.name or '(anonymous)'}"


def operations(document: str) -> list[Operation]:
    """Every operation defined at the top level of `document`, in order."""
    found: list[Operation] = []
    depth = 0
    pending: OperationType | None = None
    name = ""
    for match in _TOKEN.finditer(document):
        token = match.group()
        if token == "{":
            if depth == 0 and (pending is not None or not name):
                # `{ ... }` alone is the query shorthand; after a keyword, the operation's body.
                found.append(Operation(pending or "query", name))
            depth += 1
            pending, name = None, ""
        elif token == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and token[0] not in '"#':
            if token in _TYPES and pending is None and not name:
                pending = token  # type: ignore[assignment]
            elif pending is not None and not name:
                name = token
            elif pending is None:
                name = token  # `fragment`, or a word of a fragment's head: not an operation
    return found


def operation(document: str, operation_name: str | None = None) -> Operation | None:
    """The operation a request runs: the one named `operation_name`, else the only one.

    None when the document defines none, or several without a name to choose
    by, or none of that name: the server will refuse such a request anyway.
    """
    ops = operations(document)
    if operation_name:
        return next((op for op in ops if op.name == operation_name), None)
    return ops[0] if len(ops) == 1 else None
