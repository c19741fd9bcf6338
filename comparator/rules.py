"""Comparison rules as data: what they say, and how they are applied per endpoint.

A `RuleSet` is a default `Section` plus endpoint sections chosen by endpoint
glob. For one endpoint, the sections that apply are the default and every
endpoint section whose glob matches, in file order; a later section overrides an
earlier one setting by setting, and path rules accumulate (a later path rule
overrides an earlier one attribute by attribute on the nodes both match).

`RuleSet.for_endpoint` compiles that view once per endpoint and caches it, so the
comparison itself never matches an endpoint glob.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson

from comparator.globs import PathAutomaton, State, endpoint_pattern, parse_path_glob
from comparator.paths import INDEX_TEMPLATE, unescape

ArrayMode = Literal["ordered", "unordered", "keyed"]
"""How two arrays at a path are paired: index by index (`ordered`, the default);
as multisets (`unordered`); or by the value of a member (`keyed`, with
`match_by`), order ignored."""

Normaliser = Literal["timestamp", "trim", "casefold", "uuid"]
"""Applied to two differing strings before they are judged: `timestamp` compares
ISO-8601 instants (within `timestamp_tolerance` seconds); `trim` strips outer
whitespace; `casefold` ignores case; `uuid` treats any two UUIDs as equal."""

GraphQLMode = Literal["auto", "on", "off"]
"""`auto` compares a body as a GraphQL response when both sides are objects with
only `data`, `errors` and `extensions` members; `on` always for objects; `off` never."""

WhitespaceMode = Literal["normalise", "exact"]
"""How non-JSON text bodies are compared: runs of whitespace folded (`normalise`)
or byte for byte (`exact`)."""

NORMALISERS: tuple[Normaliser, ...] = ("timestamp", "trim", "casefold", "uuid")
ARRAY_MODES: tuple[ArrayMode, ...] = ("ordered", "unordered", "keyed")

DEFAULT_HEADERS: tuple[str, ...] = (
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-allow-origin",
    "allow",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "location",
    "vary",
    "www-authenticate",
)
"""Headers that carry meaning a client acts on and are stable between requests.
Volatile ones (date, etag, server, request ids) and content-type (judged as its
own kind) are left out."""


@dataclass(frozen=True, slots=True)
class PathRule:
    """What to do at the nodes `path` (a path glob) matches; None means 'not said'."""

    path: str
    ignore: bool | None = None
    ignore_if: str | None = None
    array: ArrayMode | None = None
    match_by: str | None = None
    absolute: float | None = None
    relative: float | None = None
    normalise: tuple[Normaliser, ...] | None = None
    timestamp_tolerance: float | None = None
    redact: bool | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """Settings for a group of endpoints; None means 'inherit'."""

    headers: tuple[str, ...] | None = None
    graphql: GraphQLMode | None = None
    graphql_messages: bool | None = None
    whitespace: WhitespaceMode | None = None
    paths: tuple[PathRule, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeRule:
    """The resolved rule at one document node."""

    ignore: bool = False
    ignore_if: re.Pattern[str] | None = None
    array: ArrayMode = "ordered"
    match_by: str | None = None
    absolute: float = 0.0
    relative: float = 0.0
    normalise: tuple[Normaliser, ...] = ()
    timestamp_tolerance: float = 0.0
    redact: bool = False

    @property
    def has_tolerance(self) -> bool:
        return self.absolute > 0 or self.relative > 0


def _resolve(rules: list[PathRule]) -> NodeRule:
    values: dict[str, object] = {}
    for rule in rules:
        for name in NodeRule.__slots__:
            value = getattr(rule, name)
            if value is not None:
                values[name] = value
    if isinstance(values.get("ignore_if"), str):
        values["ignore_if"] = re.compile(str(values["ignore_if"]))
    if values.get("match_by") is not None and "array" not in values:
        values["array"] = "keyed"
    return NodeRule(**values)  # type: ignore[arg-type]


class EndpointRules:
    """The rules in force for one endpoint, compiled for the walk."""

    __slots__ = (
        "_automaton",
        "_node_cache",
        "_rules",
        "graphql",
        "graphql_messages",
        "headers",
        "redacting",
        "whitespace",
    )

    def __init__(self, sections: list[Section]) -> None:
        headers: tuple[str, ...] = DEFAULT_HEADERS
        graphql: GraphQLMode = "auto"
        messages = False
        whitespace: WhitespaceMode = "normalise"
        paths: list[PathRule] = []
        for s in sections:
            headers = s.headers if s.headers is not None else headers
            graphql = s.graphql or graphql
            messages = s.graphql_messages if s.graphql_messages is not None else messages
            whitespace = s.whitespace or whitespace
            paths.extend(s.paths)
        self.headers: tuple[str, ...] = tuple(h.lower() for h in headers)
        self.graphql: GraphQLMode = graphql
        self.graphql_messages: bool = messages
        self.whitespace: WhitespaceMode = whitespace
        self._rules = tuple(paths)
        self._automaton = PathAutomaton([parse_path_glob(r.path) for r in paths]) if paths else None
        self._node_cache: dict[tuple[int, ...], NodeRule | None] = {}
        self.redacting: bool = any(r.redact for r in paths)

    def root(self) -> State:
        """The automaton state at the document root (empty when there are no path rules)."""
        return self._automaton.root() if self._automaton is not None else frozenset()

    def step(self, state: State, segment: str | int) -> State:
        """Call only with a non-empty state."""
        assert self._automaton is not None
        return self._automaton.step(state, segment)

    def rule(self, state: State) -> NodeRule | None:
        """The rule at a node in `state`, or None when no path rule names the node."""
        if not state or self._automaton is None:
            return None
        accepted = self._automaton.accepting(state)
        if not accepted:
            return None
        if accepted not in self._node_cache:
            self._node_cache[accepted] = _resolve([self._rules[i] for i in accepted])
        return self._node_cache[accepted]

    def redacts(self, path: str, template: str, values: tuple[Any, Any]) -> bool:
        """Whether a body difference at `path`, holding `values`, is kept only as hashes.

        It is when a `redact` rule covers its node, an ancestor, or any node
        inside either value (a field_missing at `/payment` holds `/payment/card`).
        `template` is `path` with array indices folded to `[*]`, which tells an
        index from a member named "0". Text at the root, a body that is not JSON,
        may hold anything, so it is hashed whenever the endpoint redacts anything.
        """
        if not self.redacting:
            return False
        state = self.root()
        for token, shape in zip(path.split("/")[1:], template.split("/")[1:], strict=True):
            if self._redacted_at(state):
                return True
            index = shape == INDEX_TEMPLATE and token.isdigit()
            state = self.step(state, int(token) if index else unescape(token))
            if not state:
                return False
        if path == "" and any(isinstance(v, str) for v in values):
            return True
        return any(self._redacted_within(state, v) for v in values)

    def _redacted_within(self, state: State, value: Any) -> bool:
        """Whether a `redact` rule covers the node of `value` (in `state`) or one inside it."""
        todo = [(state, value)]
        while todo:
            state, value = todo.pop()
            if self._redacted_at(state):
                return True
            if not state:  # no rule reaches below here
                continue
            if isinstance(value, dict):
                todo.extend((self.step(state, k), v) for k, v in value.items())
            elif isinstance(value, list):
                todo.extend((self.step(state, i), v) for i, v in enumerate(value))
        return False

    def _redacted_at(self, state: State) -> bool:
        rule = self.rule(state)
        return rule is not None and rule.redact


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A complete, versioned set of comparison rules.

    `version` is a short hash of the rules' normalised form: two files that say
    the same thing (comments, key order, spelling of defaults aside) share it.
    """

    base: Section = field(default_factory=Section)
    endpoints: tuple[tuple[str, Section], ...] = ()
    version: str = ""
    _compiled: dict[str, EndpointRules] = field(default_factory=dict, compare=False, repr=False)
    _endpoint_patterns: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    @staticmethod
    def build(base: Section, endpoints: tuple[tuple[str, Section], ...] = ()) -> RuleSet:
        """A rule set with its version computed and endpoint globs compiled.

        `base` is the default section: it applies to every endpoint.
        """
        return RuleSet(
            base=base,
            endpoints=endpoints,
            version=_version(base, endpoints),
            _endpoint_patterns=tuple(endpoint_pattern(g) for g, _ in endpoints),
        )

    @staticmethod
    def default() -> RuleSet:
        """The built-in rules: default header allowlist, GraphQL auto, no path rules."""
        return _DEFAULT

    def for_endpoint(self, endpoint: str) -> EndpointRules:
        """The compiled rules for `endpoint` (cached)."""
        compiled = self._compiled.get(endpoint)
        if compiled is None:
            sections = [self.base] + [
                section
                for pattern, (_, section) in zip(
                    self._endpoint_patterns, self.endpoints, strict=True
                )
                if pattern.match(endpoint)
            ]
            compiled = EndpointRules(sections)
            if len(self._compiled) > 10_000:
                self._compiled.clear()
            self._compiled[endpoint] = compiled
        return compiled


def _version(base: Section, endpoints: tuple[tuple[str, Section], ...]) -> str:
    # The default section's settings are spelled out as resolved, so a file that
    # states a built-in default and one that leaves it unsaid share a version.
    resolved = EndpointRules([base])
    canonical = {
        "default": {
            **_canonical(base),
            "headers": sorted(resolved.headers),
            "graphql": resolved.graphql,
            "graphql_messages": resolved.graphql_messages,
            "whitespace": resolved.whitespace,
        },
        "endpoints": [[glob, _canonical(section)] for glob, section in endpoints],
    }
    raw = orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()[:12]


def _canonical(section: Section) -> dict[str, object]:
    # `redact` came after the first rule files: leaving it out where unsaid
    # keeps their versions, and so their stored results, as they were.
    out = asdict(section)
    out["paths"] = [
        {k: v for k, v in rule.items() if k != "redact" or v is not None} for rule in out["paths"]
    ]
    return out


_DEFAULT = RuleSet.build(Section())
