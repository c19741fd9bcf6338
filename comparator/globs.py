"""Globs over document paths and endpoint names, and the automaton that runs them.

A path glob is written like a JSON Pointer whose tokens may be wildcards:

- `*` matches any one token (an object member or an array index),
- `[*]` matches any one array index (`items[*]` is shorthand for `items/[*]`),
- `**` matches any number of tokens, none included,
- a token with `*` inside (`user_*`) matches member names by shell-style pattern,
- any other token matches that member name, or that array index if it is a number.

The walk must not pay a glob match per node, so the globs are run as one
non-deterministic automaton: a node's state is the set of (glob, position)
pairs still alive, a child's state is computed once per (state, token) and
cached, and a node whose state is empty (no glob can match it or anything
below it) costs nothing at all.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import TypeAlias

from comparator.paths import Segment, unescape

ANY = "*"
ANY_INDEX = "[*]"
ANY_DEPTH = "**"

Token: TypeAlias = str | re.Pattern[str]
"""A literal member name, one of the three wildcards, or a compiled name pattern."""

State: TypeAlias = frozenset[tuple[int, int]]
"""The live (glob number, position in glob) pairs at one node."""

NO_STATE: State = frozenset()

_CACHE_LIMIT = 50_000


def parse_path_glob(pattern: str) -> tuple[Token, ...]:
    """Split a path glob into tokens; ValueError names what is wrong."""
    if pattern == "":
        return ()
    if not pattern.startswith("/"):
        raise ValueError(f"path {pattern!r} must start with '/' (a JSON Pointer), or be ''")
    tokens: list[Token] = []
    for raw in pattern[1:].split("/"):
        if raw.endswith(ANY_INDEX) and raw != ANY_INDEX:
            tokens.extend([*_token(raw[: -len(ANY_INDEX)]), ANY_INDEX])
        else:
            tokens.extend(_token(raw))
    return tuple(tokens)


def _token(raw: str) -> list[Token]:
    if raw in (ANY, ANY_INDEX, ANY_DEPTH):
        return [raw]
    if "**" in raw:
        raise ValueError(f"'**' must be a whole path token, not part of {raw!r}")
    name = unescape(raw)
    if "*" in name or "?" in name:
        return [re.compile(fnmatch.translate(name))]
    return [name]


def endpoint_pattern(glob: str) -> re.Pattern[str]:
    """An endpoint glob: `*` matches within one path segment, `**` across segments."""
    parts = re.split(r"(\*\*|\*)", glob)
    regex = "".join(".*" if p == "**" else "[^/]*" if p == "*" else re.escape(p) for p in parts)
    return re.compile(regex + r"\Z", re.DOTALL)


class PathAutomaton:
    """Runs a fixed list of path globs over a document, one step per token.

    `accepting(state)` gives the numbers of the globs that match the node exactly,
    in the order the globs were given, so a later rule can override an earlier one.
    """

    __slots__ = ("_accept_cache", "_globs", "_index_literals", "_root", "_step_cache")

    def __init__(self, globs: Sequence[tuple[Token, ...]]) -> None:
        self._globs = tuple(globs)
        self._index_literals = any(
            isinstance(t, str) and t.isdigit() for g in self._globs for t in g
        )
        self._step_cache: dict[tuple[State, Segment], State] = {}
        self._accept_cache: dict[State, tuple[int, ...]] = {}
        self._root = self._closure({(i, 0) for i in range(len(self._globs))})

    def root(self) -> State:
        return self._root

    def step(self, state: State, segment: Segment) -> State:
        """The state of the child reached through `segment`."""
        # Every array index behaves alike unless some glob names one literally,
        # so indices share one cache entry.
        key: Segment = segment if isinstance(segment, str) or self._index_literals else -1
        cached = self._step_cache.get((state, key))
        if cached is not None:
            return cached
        nxt: set[tuple[int, int]] = set()
        for g, pos in state:
            glob = self._globs[g]
            if pos == len(glob):
                continue
            tok = glob[pos]
            if tok == ANY_DEPTH:
                nxt.add((g, pos))
            elif _matches(tok, segment):
                nxt.add((g, pos + 1))
        result = self._closure(nxt)
        if len(self._step_cache) >= _CACHE_LIMIT:
            self._step_cache.clear()
        self._step_cache[(state, key)] = result
        return result

    def accepting(self, state: State) -> tuple[int, ...]:
        cached = self._accept_cache.get(state)
        if cached is None:
            cached = tuple(sorted(g for g, pos in state if pos == len(self._globs[g])))
            if len(self._accept_cache) >= _CACHE_LIMIT:
                self._accept_cache.clear()
            self._accept_cache[state] = cached
        return cached

    def _closure(self, pairs: set[tuple[int, int]]) -> State:
        todo = list(pairs)
        while todo:
            g, pos = todo.pop()
            glob = self._globs[g]
            if pos < len(glob) and glob[pos] == ANY_DEPTH and (g, pos + 1) not in pairs:
                pairs.add((g, pos + 1))
                todo.append((g, pos + 1))
        return frozenset(pairs)


def _matches(tok: Token, segment: Segment) -> bool:
    if isinstance(tok, re.Pattern):
        return isinstance(segment, str) and tok.match(segment) is not None
    if tok == ANY:
        return True
    if tok == ANY_INDEX:
        return isinstance(segment, int)
    if isinstance(segment, int):
        return tok == str(segment)
    return tok == segment
