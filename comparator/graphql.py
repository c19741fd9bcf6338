"""GraphQL responses: `data` and `errors` judged separately.

A GraphQL server answers 200 with `{"data": ..., "errors": [...]}`, so a failure
shows up in the body, not the status. `data` is walked like any document, except
that `null` on one side only is its own kind (`graphql_null_data`): the operation
failed there as a whole. `errors` are matched as a multiset by `path` and
`extensions.code`; messages are free text that rewrites word differently, so
they count only when the rules ask (`graphql_messages: true`). Top-level
`extensions` (tracing, cost) is volatile by nature and not compared.
"""

from __future__ import annotations

from typing import Any

from comparator.model import Kind
from comparator.paths import Node
from comparator.rules import EndpointRules, GraphQLMode
from comparator.walk import Found, diff_documents, emit

_MEMBERS = frozenset(("data", "errors", "extensions"))


def _shaped(doc: dict[str, Any]) -> bool:
    return ("data" in doc or "errors" in doc) and doc.keys() <= _MEMBERS


def is_graphql(a: Any, b: Any, mode: GraphQLMode) -> bool:
    """Whether a pair of parsed bodies is judged as GraphQL responses under `mode`."""
    if mode == "off" or type(a) is not dict or type(b) is not dict:
        return False
    return mode == "on" or (_shaped(a) and _shaped(b))


def _error_key(error: Any, messages: bool) -> tuple[str, ...]:
    if not isinstance(error, dict):
        return ("other", repr(error))
    ext = error.get("extensions")
    code = ext.get("code") if isinstance(ext, dict) else None
    key = (repr(error.get("path")), repr(code))
    return (*key, str(error.get("message"))) if messages else key


def _ignored(rules: EndpointRules, member: str) -> bool:
    state = rules.root()
    if not state:
        return False
    rule = rules.rule(rules.step(state, member))
    return rule is not None and rule.ignore


def diff_graphql(
    a: dict[str, Any], b: dict[str, Any], rules: EndpointRules, strict: bool, out: Found
) -> None:
    """Append the differences between two GraphQL responses to `out`."""
    data: Node = (None, "data")
    if not _ignored(rules, "data"):
        if "data" in a and "data" in b:
            da, db = a["data"], b["data"]
            if (da is None) != (db is None):
                emit(out, data, Kind.GRAPHQL_NULL_DATA, da, db)
            elif da is not None:
                diff_documents(da, db, rules, strict, out, node=data)
        elif "data" in a:
            emit(out, data, Kind.FIELD_MISSING, a["data"], None)
        elif "data" in b:
            emit(out, data, Kind.FIELD_ADDED, None, b["data"])
    if _ignored(rules, "errors"):
        return
    ea, eb = a.get("errors") or [], b.get("errors") or []
    if not isinstance(ea, list) or not isinstance(eb, list):
        diff_documents(ea, eb, rules, strict, out, node=(None, "errors"))
        return
    messages = rules.graphql_messages
    waiting: dict[tuple[str, ...], list[int]] = {}
    for i, error in enumerate(ea):
        waiting.setdefault(_error_key(error, messages), []).append(i)
    extra_b = []
    for j, error in enumerate(eb):
        slot = waiting.get(_error_key(error, messages))
        if slot:
            slot.pop(0)
        else:
            extra_b.append(j)
    for i in sorted(i for slot in waiting.values() for i in slot):
        emit(out, ((None, "errors"), i), Kind.GRAPHQL_ERROR, ea[i], None)
    for j in extra_b:
        emit(out, ((None, "errors"), j), Kind.GRAPHQL_ERROR, None, eb[j])
