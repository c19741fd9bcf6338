"""The structural diff of two JSON documents, under the rules of one endpoint.

Contract: `diff_documents(a, b, ...)` appends to `out` one (Difference, template)
per difference between `a` and `b` judged with JSON's semantics: numbers by
value (int 1 equals float 1.0, integers of any size exactly), booleans distinct
from numbers, objects regardless of member order, arrays per the path rules.

Cost is proportional to the part of the documents that differs: the walk is a
loop over an explicit stack (no recursion, any depth), and a pair of children
is compared whole (`==` runs in C) before the walk descends into it. `==` is JSON's
equality except that `True == 1`, so when either body holds a boolean
(`strict`), children are compared with `json_equal` instead. Both recurse; on
documents deep enough to exhaust their depth limit the caller re-runs the walk
with `deep=True`, which compares containers by walking them instead.

This module is the comparator's hot loop, and it is compiled to C with Cython
when the package is installed (see `setup.py`); the same source runs
interpreted where no compiler is at hand, only slower. So it stays plain,
typed Python: the loops in `json_equal` over an exact `dict` or `list` are
what the compiler turns into C loops. Compiled, a parameter annotated with a
builtin type (`dict`, `list`, `str`, `int`) accepts that exact type only, not a
subclass, so such annotations are kept to values the module itself has made or
type-checked; anything from outside (rule values, say) is annotated `Any` or
`object`.
"""

from __future__ import annotations

import contextlib
import json
import math
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any

from comparator.globs import State
from comparator.model import Difference, Kind
from comparator.normalise import strings_equivalent
from comparator.paths import Node, Segment, escape, segments
from comparator.rules import EndpointRules, NodeRule

COMPILED = __file__.endswith(tuple(EXTENSION_SUFFIXES))
"""Whether this module runs compiled (the usual install) or interpreted."""

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
    """A value nested too deep to make a multiset key of."""


def located(node: Node) -> tuple[str, str]:
    """(RFC 6901 pointer, template with indices folded) of `node`."""
    ptr: list[str] = []
    tpl: list[str] = []
    while node is not None:
        node, seg = node
        if isinstance(seg, int):
            ptr.append(str(seg))
            tpl.append("[*]")
        else:
            if "~" in seg or "/" in seg:
                seg = escape(seg)
            ptr.append(seg)
            tpl.append(seg)
    if not ptr:
        return "", ""
    ptr.reverse()
    tpl.reverse()
    return "/" + "/".join(ptr), "/" + "/".join(tpl)


MAX_DIFFERENCES = 1000
"""Differences recorded per comparison at most. Past it the walk stops: a body
that differs everywhere (a shifted million-element array, say) is already a
mismatch, and a million rows of evidence would cost more than they tell."""


class _Enough(Exception):
    """The walk found `MAX_DIFFERENCES`: stop walking."""


def emit(out: Found, node: Node, kind: Kind, a: Any, b: Any) -> None:
    """Record one difference at `node`."""
    if len(out) >= MAX_DIFFERENCES:
        raise _Enough
    ptr, tpl = located(node)
    out.append((Difference(ptr, kind, a, b), tpl))


MAX_DEPTH = 256
"""Nesting `json_equal` follows before it gives up with RecursionError.

Compiled code has no recursion limit of its own, and a level takes about 300
bytes of C stack, so 256 levels fit even a 128 KiB thread stack. Interpreted,
256 levels (two frames each) stay within Python's default limit of 1000, so
compiled and interpreted give up at the same depth. API responses nest a few
dozen levels; deeper ones are walked node by node (`deep`)."""


def json_equal(a: Any, b: Any, depth: int = 0) -> bool:
    """JSON's equality of two parsed values: `==`, except that a boolean equals only a boolean.

    Python's `==` calls `True` equal to `1` and `1.0`. Past `MAX_DEPTH` levels
    this raises RecursionError, which the walk answers by walking deep instead.
    As with `==`, an element or member is taken to equal itself (a NaN included).
    """
    ta = type(a)
    if ta is dict:
        return type(b) is dict and _members_equal(a, b, depth)
    if ta is list:
        return type(b) is list and _elements_equal(a, b, depth)
    return (ta is bool) == (type(b) is bool) and a == b


_ABSENT = object()
"""What a member missing from the other object meets: equal to nothing."""


# Both loops test leaves in place and call back only for containers: a call per
# leaf made the compiled check a fifth slower.
def _members_equal(a: dict[str, Any], b: dict[str, Any], depth: int) -> bool:
    if len(a) != len(b):
        return False
    if depth >= MAX_DEPTH:
        raise RecursionError("JSON nested too deep to compare in one call")
    for k, va in a.items():
        vb = b.get(k, _ABSENT)
        ta = type(va)
        if ta is dict or ta is list:
            if not json_equal(va, vb, depth + 1):
                return False
        elif va is not vb and ((ta is bool) != (type(vb) is bool) or va != vb):
            return False
    return True


def _elements_equal(a: list[Any], b: list[Any], depth: int) -> bool:
    if len(a) != len(b):
        return False
    if depth >= MAX_DEPTH:
        raise RecursionError("JSON nested too deep to compare in one call")
    for i in range(len(a)):
        va = a[i]
        vb = b[i]
        ta = type(va)
        if ta is dict or ta is list:
            if not json_equal(va, vb, depth + 1):
                return False
        elif va is not vb and ((ta is bool) != (type(vb) is bool) or va != vb):
            return False
    return True


def _key(x: Any, depth: int = 0) -> Any:
    """A hashable stand-in for a JSON value: equal exactly when the values are, in JSON's terms.

    Numbers keep Python's equality and hash (`1` and `1.0` are one key), a
    boolean is never a number, every NaN is one key, and an object's key
    ignores member order. Past `MAX_DEPTH` levels the value is `_Unkeyable`.
    """
    t = type(x)
    if t is dict or t is list:
        if depth >= MAX_DEPTH:
            raise _Unkeyable
        if t is dict:
            return ("object", frozenset([(k, _key(v, depth + 1)) for k, v in x.items()]))
        return ("array", tuple([_key(v, depth + 1) for v in x]))
    if t is float and x != x:
        return ("number", "NaN")
    return (CLASS[t], x)


def _is_reordering(todo: list[Triple]) -> bool:
    """Whether the differing pairs hold one multiset of elements in another order.

    At least one pair must truly differ: two NaN, unequal to `==` and kept in
    `todo` for that, are no evidence of a reordering.
    """
    try:
        keys_a = [_key(t[0]) for t in todo]
        keys_b = [_key(t[1]) for t in todo]
    except _Unkeyable:
        return False
    if keys_a == keys_b:
        return False
    counts: dict[Any, int] = {}
    for k in keys_a:
        counts[k] = counts.get(k, 0) + 1
    for k in keys_b:
        left = counts.get(k, 0)
        if not left:
            return False
        counts[k] = left - 1
    return True


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


_CONTAINERS = (dict, list)

Triple = tuple[Any, Any, Segment]
"""A primary value, a candidate value, and the path segment they are judged under."""


class Walker:
    """One walk over one pair of documents; see the module docstring."""

    __slots__ = ("deep", "inside_redacted", "out", "rules", "strict")

    def __init__(
        self,
        rules: EndpointRules,
        strict: bool,
        deep: bool,
        out: Found,
        inside_redacted: bool = False,
    ) -> None:
        self.rules = rules
        self.strict = strict
        self.deep = deep
        self.out = out
        # Set for the walk that judges a redacted node's insides (see `_whole`).
        self.inside_redacted = inside_redacted

    def _differing(self, triples: list[Triple]) -> list[Triple]:
        """The triples whose two values are not equal in JSON's terms."""
        if self.deep:
            return [t for t in triples if not _same_deep(t[0], t[1])]
        if self.strict:
            return [t for t in triples if not json_equal(t[0], t[1])]
        return [t for t in triples if t[0] != t[1]]

    def _push(self, stack: list[Any], node: Node, state: State, todo: list[Triple]) -> None:
        if not state:  # no path rule reaches below here
            stack.extend([(va, vb, (node, seg), state) for va, vb, seg in reversed(todo)])
            return
        step = self.rules.step
        stack.extend([(va, vb, (node, seg), step(state, seg)) for va, vb, seg in reversed(todo)])

    def run(self, a: Any, b: Any, node: Node, state: State) -> None:
        rules = self.rules
        stack: list[tuple[Any, Any, Node, State]] = [(a, b, node, state)]
        while stack:
            a, b, node, state = stack.pop()
            rule = rules.rule(state) if state else None
            if rule is not None and (
                rule.ignore or (rule.ignore_if is not None and _both_match(rule, a, b))
            ):
                continue
            ta, tb = type(a), type(b)
            if (
                rule is not None
                and rule.redact
                and not self.inside_redacted
                and (ta in _CONTAINERS or tb in _CONTAINERS)
            ):
                self._whole(a, b, node, state)
            elif ta is dict and tb is dict:
                self._object(a, b, node, state, stack)
            elif ta is list and tb is list:
                if rule is None or rule.array == "ordered":
                    self._ordered(a, b, node, state, stack)
                else:
                    self._matched(a, b, node, state, rule, stack)
            else:
                self._scalar(a, b, node, rule)

    def _whole(self, a: Any, b: Any, node: Node, state: State) -> None:
        """A redacted container: judged as usual, reported as one difference at its node.

        Below a redacted node even member names may be secret (`/tokens/sk_live_…`),
        so no path below it is reported; its whole values are, and those are hashed.
        """
        inside: Found = []
        with contextlib.suppress(_Enough):
            Walker(self.rules, self.strict, self.deep, inside, inside_redacted=True).run(
                a, b, node, state
            )
        if CLASS[type(a)] != CLASS[type(b)]:
            emit(self.out, node, Kind.TYPE_CHANGED, a, b)
        elif any(d.kind.is_mismatch for d, _ in inside):
            emit(self.out, node, Kind.VALUE_CHANGED, a, b)
        elif inside:
            emit(self.out, node, Kind.NUMERIC_TOLERANCE, a, b)

    def _one_sided(self, kind: Kind, value: Any, node: Node, seg: Segment, state: State) -> None:
        if state:
            rule = self.rules.rule(self.rules.step(state, seg))
            if rule is not None and rule.ignore:
                return
        if kind is Kind.FIELD_MISSING:
            emit(self.out, (node, seg), kind, value, None)
        else:
            emit(self.out, (node, seg), kind, None, value)

    def _object(
        self, a: dict[str, Any], b: dict[str, Any], node: Node, state: State, stack: list[Any]
    ) -> None:
        common: list[Triple] = [(va, b[k], k) for k, va in a.items() if k in b]
        if len(common) < len(a):
            for k, va in a.items():
                if k not in b:
                    self._one_sided(Kind.FIELD_MISSING, va, node, k, state)
        if len(common) < len(b):
            for k, vb in b.items():
                if k not in a:
                    self._one_sided(Kind.FIELD_ADDED, vb, node, k, state)
        self._push(stack, node, state, self._differing(common))

    def _ordered(
        self, a: list[Any], b: list[Any], node: Node, state: State, stack: list[Any]
    ) -> None:
        la, lb = len(a), len(b)
        n = min(la, lb)
        # Arrays are where documents are long, so the usual walks test elements
        # in place rather than build a triple for every one (`_differing`).
        todo: list[Triple]
        if self.deep:
            todo = self._differing(list(zip(a, b, range(n), strict=False)))
        elif self.strict:
            todo = [(a[i], b[i], i) for i in range(n) if not json_equal(a[i], b[i])]
        else:
            todo = [(a[i], b[i], i) for i in range(n) if a[i] != b[i]]
        if (
            la == lb
            and len(todo) >= 2
            and not self.deep
            and _maybe_permutation(todo)
            and _is_reordering(todo)
        ):
            emit(self.out, node, Kind.ARRAY_ORDER, a, b)
            return
        if la != lb:
            emit(self.out, node, Kind.ARRAY_LENGTH, la, lb)
        for i in range(lb, la):
            self._one_sided(Kind.FIELD_MISSING, a[i], node, i, state)
        for i in range(la, lb):
            self._one_sided(Kind.FIELD_ADDED, b[i], node, i, state)
        self._push(stack, node, state, todo)

    def _matched(
        self, a: list[Any], b: list[Any], node: Node, state: State, rule: NodeRule, stack: list[Any]
    ) -> None:
        """Unordered (multiset) and keyed arrays: pair elements, then judge the pairs."""
        by = rule.match_by if rule.array == "keyed" else None
        try:
            keys_a = [_pair_key(x, by) for x in a]
            keys_b = [_pair_key(y, by) for y in b]
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
            self._one_sided(Kind.FIELD_MISSING, a[i], node, i, state)
        for j in extra_b:
            self._one_sided(Kind.FIELD_ADDED, b[j], node, j, state)
        pairs.sort()
        pending: list[Triple] = [(a[i], b[j], i) for i, j in pairs]
        self._push(stack, node, state, self._differing(pending))

    def _scalar(self, a: Any, b: Any, node: Node, rule: NodeRule | None) -> None:
        ca, cb = CLASS[type(a)], CLASS[type(b)]
        if ca != cb:
            emit(self.out, node, Kind.TYPE_CHANGED, a, b)
        elif ca == "number":
            if a == b or (
                isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
            ):
                return
            if rule is not None and rule.has_tolerance and _within(a, b, rule):
                emit(self.out, node, Kind.NUMERIC_TOLERANCE, a, b)
            else:
                emit(self.out, node, Kind.VALUE_CHANGED, a, b)
        elif a != b:
            if (
                ca == "string"
                and rule is not None
                and rule.normalise
                and strings_equivalent(a, b, rule)
            ):
                return
            emit(self.out, node, Kind.VALUE_CHANGED, a, b)


def _maybe_permutation(todo: list[Triple]) -> bool:
    """A cheap necessary condition: the first differing primary element recurs."""
    first = todo[0][0]
    return any(first == t[1] for t in todo)


def _pair_key(x: Any, by: object) -> Any:
    if by is not None and type(x) is dict and by in x:
        return ("key", _key(x[by]))
    return ("value", _key(x))


def _same_deep(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ta is dict or ta is list or tb is dict or tb is list:
        return False
    return bool(a == b) and (ta is tb or (ta is not bool and tb is not bool))


def diff_documents(
    a: Any, b: Any, rules: EndpointRules, strict: bool, out: Found, node: Node = None
) -> None:
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
        with contextlib.suppress(_Enough):
            Walker(rules, strict, True, out).run(a, b, node, state)
    except _Enough:
        pass
