"""The structural diff of two JSON documents, under the rules of one endpoint.

Contract: `diff_documents(a, b, ...)` appends to `out` one (Difference, template)
per difference between `a` and `b` judged with JSON's semantics: numbers by
value (int 1 equals float 1.0, integers of any size exactly), booleans distinct
from numbers, objects regardless of member order, arrays per the path rules.

Cost is proportional to the part of the documents that differs: the walk is a
loop over an explicit stack (no recursion, any depth), and a pair of children
is compared with `==` (C speed) before the walk descends into it. `==` is
JSON's equality except that `True == 1`, so when either body holds a boolean
(`strict`), a child found equal is confirmed with its type or its serialised
form. Python's `==` recurses; on documents deep enough to exhaust its recursion
limit the caller re-runs the walk with `deep=True`, which compares containers
by walking them instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson

from comparator.model import Difference, Kind
from comparator.normalise import strings_equivalent
from comparator.paths import Node, escape, segments
from comparator.rules import EndpointRules, NodeRule

Found = list[tuple[Difference, str]]
"""Differences paired with their folded path template (for signatures)."""

CLASS: dict[type, str] = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    type(None): "null",
    list: "array",
    dict: "object",
}


class _Unkeyable(Exception):
    """A value too deep to serialise as a multiset key."""


def located(node: Node) -> tuple[str, str]:
    """(RFC 6901 pointer, template with indices folded) of `node`."""
    segs = segments(node)
    ptr = "".join("/" + escape(s) for s in segs)
    tpl = "".join("/" + ("[*]" if isinstance(s, int) else escape(s)) for s in segs)
    return ptr, tpl


def emit(out: Found, node: Node, kind: Kind, a: Any, b: Any) -> None:
    ptr, tpl = located(node)
    out.append((Difference(ptr, kind, a, b), tpl))


def _dumps_equal(a: Any, b: Any) -> bool:
    try:
        if orjson.dumps(a) == orjson.dumps(b):
            return True
        sort = orjson.OPT_SORT_KEYS
        return orjson.dumps(a, option=sort) == orjson.dumps(b, option=sort)
    except (orjson.JSONEncodeError, RecursionError):
        return False


def _key(x: Any) -> Any:
    """A hashable stand-in for a JSON value, equal for equal values of one type class."""
    t = type(x)
    if t is dict or t is list:
        try:
            return orjson.dumps(x, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            try:  # integers past 64 bits, NaN
                return json.dumps(x, sort_keys=True).encode()
            except RecursionError:
                raise _Unkeyable from None
    return (CLASS[t], x)


def _multiset_equal(xs: list[Any], ys: list[Any]) -> bool:
    try:
        counts: dict[Any, int] = {}
        for x in xs:
            k = _key(x)
            counts[k] = counts.get(k, 0) + 1
        for y in ys:
            k = _key(y)
            left = counts.get(k, 0)
            if not left:
                return False
            counts[k] = left - 1
        return True
    except _Unkeyable:
        return False


def _both_match(rule: NodeRule, a: Any, b: Any) -> bool:
    pattern = rule.ignore_if
    assert pattern is not None
    texts = []
    for v in (a, b):
        if isinstance(v, dict | list):
            return False
        texts.append(v if isinstance(v, str) else json.dumps(v))
    return all(pattern.fullmatch(t) is not None for t in texts)


def _within(a: Any, b: Any, rule: NodeRule) -> bool:
    try:
        gap = abs(a - b)
        return bool(gap <= rule.absolute or gap <= rule.relative * max(abs(a), abs(b)))
    except OverflowError:
        return False


class Walker:
    """One walk over one pair of documents; see the module docstring."""

    __slots__ = ("deep", "out", "rules", "same", "strict")

    def __init__(self, rules: EndpointRules, strict: bool, deep: bool, out: Found) -> None:
        self.rules = rules
        self.strict = strict
        self.deep = deep
        self.out = out
        self.same: Callable[[Any, Any], bool] = (
            self._same_deep if deep else self._same_strict if strict else _eq
        )

    def _same_strict(self, a: Any, b: Any) -> bool:
        if a != b:
            return False
        ta, tb = type(a), type(b)
        if ta is not tb:
            return ta is not bool and tb is not bool
        return (ta is not dict and ta is not list) or _dumps_equal(a, b)

    def _same_deep(self, a: Any, b: Any) -> bool:
        ta, tb = type(a), type(b)
        if ta is dict or ta is list or tb is dict or tb is list:
            return False
        return a == b and (ta is tb or (ta is not bool and tb is not bool))

    def run(self, a: Any, b: Any, node: Node, state: frozenset[tuple[int, int]]) -> None:
        rules = self.rules
        stack: list[tuple[Any, Any, Node, frozenset[tuple[int, int]]]] = [(a, b, node, state)]
        while stack:
            a, b, node, state = stack.pop()
            rule = rules.rule(state) if state else None
            if rule is not None and (
                rule.ignore or (rule.ignore_if is not None and _both_match(rule, a, b))
            ):
                continue
            ta, tb = type(a), type(b)
            if ta is dict and tb is dict:
                self._object(a, b, node, state, stack)
            elif ta is list and tb is list:
                mode = rule.array if rule is not None else "ordered"
                if mode == "ordered":
                    self._ordered(a, b, node, state, stack)
                else:
                    self._matched(a, b, node, state, rule, stack)
            else:
                self._scalar(a, b, node, rule)

    def _child_state(self, state: frozenset[tuple[int, int]], seg: str | int) -> Any:
        return self.rules.step(state, seg) if state else state

    def _one_sided(self, kind: Kind, value: Any, node: Node, state: Any) -> None:
        if state:
            rule = self.rules.rule(state)
            if rule is not None and rule.ignore:
                return
        if kind is Kind.FIELD_MISSING:
            emit(self.out, node, kind, value, None)
        else:
            emit(self.out, node, kind, None, value)

    def _object(self, a: dict[str, Any], b: dict[str, Any], node: Node, state: Any,
                stack: list[Any]) -> None:
        same = self.same
        fast = same is _eq
        pending = []
        missing = 0
        for k, va in a.items():
            if k in b:
                vb = b[k]
                if (va != vb) if fast else not same(va, vb):
                    pending.append((va, vb, (node, k), self._child_state(state, k)))
            else:
                missing += 1
                self._one_sided(Kind.FIELD_MISSING, va, (node, k), self._child_state(state, k))
        if len(b) > len(a) - missing:
            for k, vb in b.items():
                if k not in a:
                    self._one_sided(Kind.FIELD_ADDED, vb, (node, k), self._child_state(state, k))
        pending.reverse()
        stack.extend(pending)

    def _ordered(self, a: list[Any], b: list[Any], node: Node, state: Any,
                 stack: list[Any]) -> None:
        la, lb = len(a), len(b)
        n = min(la, lb)
        same = self.same
        if same is _eq:
            mism = [i for i in range(n) if a[i] != b[i]]
        else:
            mism = [i for i in range(n) if not same(a[i], b[i])]
        if (la == lb and len(mism) >= 2 and not self.deep
                and _multiset_equal([a[i] for i in mism], [b[i] for i in mism])):
            emit(self.out, node, Kind.ARRAY_ORDER, a, b)
            return
        if la != lb:
            emit(self.out, node, Kind.ARRAY_LENGTH, la, lb)
        for i in range(n, la):
            self._one_sided(Kind.FIELD_MISSING, a[i], (node, i), self._child_state(state, i))
        for i in range(n, lb):
            self._one_sided(Kind.FIELD_ADDED, b[i], (node, i), self._child_state(state, i))
        stack.extend((a[i], b[i], (node, i), self._child_state(state, i)) for i in reversed(mism))

    def _matched(self, a: list[Any], b: list[Any], node: Node, state: Any,
                 rule: NodeRule | None, stack: list[Any]) -> None:
        """Unordered (multiset) and keyed arrays: pair elements, then judge the pairs."""
        assert rule is not None
        by = rule.match_by if rule.array == "keyed" else None
        try:
            keys_a = [self._pair_key(x, by) for x in a]
            keys_b = [self._pair_key(y, by) for y in b]
        except _Unkeyable:
            self._ordered(a, b, node, state, stack)
            return
        waiting: dict[Any, list[int]] = {}
        for i, k in enumerate(keys_a):
            waiting.setdefault(k, []).append(i)
        pairs: list[tuple[int, int]] = []
        extra_b: list[int] = []
        for j, k in enumerate(keys_b):
            slot = waiting.get(k)
            if slot:
                pairs.append((slot.pop(0), j))
            else:
                extra_b.append(j)
        extra_a = sorted(i for slot in waiting.values() for i in slot)
        if by is None:
            # Unmatched elements of a multiset are paired in order, so a changed
            # member inside an element reads as that change, not as remove + add.
            k = min(len(extra_a), len(extra_b))
            pairs.extend(zip(extra_a[:k], extra_b[:k], strict=True))
            extra_a, extra_b = extra_a[k:], extra_b[k:]
        if len(a) != len(b):
            emit(self.out, node, Kind.ARRAY_LENGTH, len(a), len(b))
        for i in extra_a:
            self._one_sided(Kind.FIELD_MISSING, a[i], (node, i), self._child_state(state, i))
        for j in extra_b:
            self._one_sided(Kind.FIELD_ADDED, b[j], (node, j), self._child_state(state, j))
        same = self.same
        todo = [(a[i], b[j], (node, i), self._child_state(state, i))
                for i, j in pairs if not same(a[i], b[j])]
        todo.reverse()
        stack.extend(todo)

    @staticmethod
    def _pair_key(x: Any, by: str | None) -> Any:
        if by is not None and type(x) is dict and by in x:
            return ("key", _key(x[by]))
        return ("value", _key(x))

    def _scalar(self, a: Any, b: Any, node: Node, rule: NodeRule | None) -> None:
        ca, cb = CLASS[type(a)], CLASS[type(b)]
        if ca != cb:
            emit(self.out, node, Kind.TYPE_CHANGED, a, b)
        elif ca == "number":
            if a == b or (isinstance(a, float) and isinstance(b, float)
                          and math.isnan(a) and math.isnan(b)):
                return
            if rule is not None and rule.has_tolerance and _within(a, b, rule):
                emit(self.out, node, Kind.NUMERIC_TOLERANCE, a, b)
            else:
                emit(self.out, node, Kind.VALUE_CHANGED, a, b)
        elif a != b:
            if ca == "string" and rule is not None and rule.normalise and strings_equivalent(
                a, b, rule
            ):
                return
            emit(self.out, node, Kind.VALUE_CHANGED, a, b)


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def diff_documents(a: Any, b: Any, rules: EndpointRules, strict: bool, out: Found,
                   node: Node = None) -> None:
    """Append the differences between documents `a` and `b` (rooted at `node`) to `out`."""
    state = rules.root()
    if node is not None:
        for seg in segments(node):
            state = rules.step(state, seg) if state else state
    mark = len(out)
    try:
        Walker(rules, strict, False, out).run(a, b, node, state)
    except RecursionError:
        del out[mark:]
        Walker(rules, strict, True, out).run(a, b, node, state)
